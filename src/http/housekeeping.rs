//! Background chores of a running server: writing request counts and key last-use times
//! to the database, noticing auth changes made by other processes, dropping expired
//! sessions and idempotency keys, forgetting the counts of accounts idle since yesterday.

use crate::accounts::store;
use crate::error::Result;
use crate::http::state::AppState;
use crate::{clock, idempotency};
use std::time::Duration;

/// How often the cache checks for revocations and plan changes made by the command line.
const EPOCH_POLL: Duration = Duration::from_secs(1);
/// How often request counts are written: the most a crash can forget.
const FLUSH_EVERY_TICKS: u64 = 2;
const SESSION_SWEEP_EVERY_TICKS: u64 = 3600;

/// Writes request counts and key last-use times gathered in memory.
pub async fn flush_usage(state: &AppState) -> Result<()> {
    let counts = state.limiter.take_dirty();
    let used = state.keys.take_last_used();
    if counts.is_empty() && used.is_empty() {
        return Ok(());
    }
    state
        .writer
        .run(move |conn| {
            store::save_usage(conn, &counts)?;
            store::record_last_used(conn, &used)
        })
        .await
}

fn observe_epoch(state: &AppState) -> Result<()> {
    let conn = state.pool.get()?;
    state.keys.observe_epoch(store::auth_epoch(&conn)?);
    Ok(())
}

/// Runs until the task is aborted at shutdown.
pub async fn run(state: actix_web::web::Data<AppState>) {
    let mut ticker = tokio::time::interval(EPOCH_POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for tick in 1u64.. {
        ticker.tick().await;
        if let Err(e) = observe_epoch(&state) {
            log::warn!("could not check for auth changes: {e}");
        }
        if tick % FLUSH_EVERY_TICKS == 0
            && let Err(e) = flush_usage(&state).await
        {
            log::warn!("could not save request counts: {e}");
        }
        if tick % SESSION_SWEEP_EVERY_TICKS == 0 {
            let now = clock::now();
            // Hourly: an account leaves the counts only when its day ends.
            state.limiter.forget_idle(now);
            if let Err(e) = state
                .writer
                .run(move |c| {
                    store::delete_expired_sessions(c, now)?;
                    idempotency::store::sweep(c, now).map(drop)
                })
                .await
            {
                log::warn!("could not remove expired sessions and idempotency keys: {e}");
            }
        }
    }
}
