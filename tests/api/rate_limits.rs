use crate::helpers::{error_message, spawn_app};
use reqwest::StatusCode;
use switchboard::accounts::Plan;
use switchboard::accounts::model::Overrides;

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("header {name} missing"))
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_61st_request_of_a_trial_account_in_a_minute_is_429_and_others_go_on() {
    let app = spawn_app().await;
    let trial = app.create_account("trial@example.com", Plan::Trial);
    let other = app.create_account("other@example.com", Plan::Trial);

    for i in 1..=60u32 {
        let res = app.get("/v1/account", &trial.key).await;
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
        assert_eq!(header(&res, "x-ratelimit-limit"), "60");
        assert_eq!(header(&res, "x-ratelimit-remaining"), (60 - i).to_string());
        let reset: u64 = header(&res, "x-ratelimit-reset").parse().unwrap();
        assert!((1..=60).contains(&reset), "{reset}");
        assert_eq!(
            header(&res, "ratelimit-policy"),
            r#""minute";q=60;w=60, "day";q=100;w=86400"#
        );
        assert!(header(&res, "ratelimit").starts_with(&format!(r#""minute";r={};"#, 60 - i)));
    }
    let res = app.get("/v1/account", &trial.key).await;
    let retry_after: u64 = header(&res, "retry-after")
        .parse()
        .expect("integer Retry-After");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(header(&res, "x-ratelimit-remaining"), "0");
    let message = error_message(res, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(message.contains("per minute"), "{message}");

    // Another account is not throttled by the first one's traffic.
    assert_eq!(
        app.get("/v1/account", &other.key).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_day_quota_survives_a_restart() {
    let app = spawn_app().await;
    let limited = Overrides {
        per_day: Some(5),
        ..Overrides::default()
    };
    let account = app.create_account_with("daily@example.com", Plan::Trial, limited);
    for _ in 0..3 {
        assert_eq!(
            app.get("/v1/account", &account.key).await.status(),
            StatusCode::OK
        );
    }
    let app = app.restart().await;
    for _ in 0..2 {
        assert_eq!(
            app.get("/v1/account", &account.key).await.status(),
            StatusCode::OK
        );
    }
    let res = app.get("/v1/account", &account.key).await;
    let retry_after: u64 = header(&res, "retry-after").parse().unwrap();
    assert!(retry_after <= 86_400);
    let message = error_message(res, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(message.contains("per day"), "{message}");
}

#[tokio::test]
async fn unlimited_accounts_carry_no_quota_headers() {
    let app = spawn_app().await;
    let account = app.create_account("big@example.com", Plan::Unlimited);
    for _ in 0..70 {
        let res = app.get("/v1/account", &account.key).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("x-ratelimit-limit").is_none());
    }
}
