//! A large request body written to a file as it arrives, instead of held in memory.

use crate::error::{Error, Result};
use actix_web::web;
use futures_core::Stream;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;

/// Writes the body to an unnamed file in `dir` (gone when dropped) and returns it rewound.
/// A body over `limit` bytes is refused with `413`. The writes run on a blocking thread,
/// fed chunk by chunk, so the worker that receives them never waits on the disk.
pub async fn to_file(mut payload: web::Payload, limit: usize, dir: &Path) -> Result<File> {
    let trouble = |e: std::io::Error| {
        log::error!("cannot spool an upload in {}: {e}", dir.display());
        Error::storage("the upload")
    };
    let file = tempfile::tempfile_in(dir).map_err(trouble)?;
    let (chunks, mut received) = tokio::sync::mpsc::channel::<web::Bytes>(16);
    let writing = web::block(move || -> std::io::Result<File> {
        let mut file = file;
        while let Some(chunk) = received.blocking_recv() {
            file.write_all(&chunk)?;
        }
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    });
    let mut size = 0;
    while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut payload).poll_next(cx)).await {
        let chunk =
            chunk.map_err(|e| Error::invalid(format!("could not read the request body: {e}")))?;
        size += chunk.len();
        if size > limit {
            return Err(Error::too_large(limit));
        }
        if chunks.send(chunk).await.is_err() {
            break; // the writer failed; its error is below
        }
    }
    drop(chunks);
    writing.await?.map_err(trouble)
}
