//! `larkfeed card stream`: a text streamed into a new card, as AI bots answer. The text (a file,
//! or standard input) is let out a few characters at a time, every `--interval-ms`, the way a
//! model's tokens arrive; the card gets the whole text so far at most 10 times a second (the
//! platform's limit on writes to one card), then streaming is turned off.

use crate::commands::Recipient;
use crate::output::{self, Format};
use crate::Failure;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use larkfeed_client::api::cardkit::streaming_card;
use larkfeed_client::Client;
use larkfeed_model::cardkit::{CreateCardRequest, WRITES_PER_SECOND};
use larkfeed_model::endpoint::CreateCard;
use serde_json::json;
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct StreamArgs {
    #[command(flatten)]
    to: Recipient,
    /// The text: a file, or - (the default) for standard input.
    #[arg(long, default_value = "-")]
    file: PathBuf,
    /// How often a piece of the text arrives, in milliseconds.
    #[arg(long, default_value_t = 70)]
    interval_ms: u64,
    /// Characters per piece.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    chunk_chars: u32,
    /// What the card shows before the first piece.
    #[arg(long, default_value = "Thinking...")]
    placeholder: String,
}

fn read_text(source: &PathBuf) -> Result<String, Failure> {
    let mut text = String::new();
    if source.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::Usage(format!("cannot read standard input: {e}")))?;
    } else {
        text = std::fs::read_to_string(source)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", source.display())))?;
    }
    if text.is_empty() {
        return Err(Failure::Usage("the text to stream is empty".into()));
    }
    Ok(text)
}

pub async fn run(
    args: &StreamArgs,
    client: &Client,
    dry_run: bool,
    format: Format,
) -> Result<(), Failure> {
    let text = read_text(&args.file)?;
    if dry_run {
        let req = CreateCardRequest {
            r#type: Some("card_json".into()),
            data: Some(streaming_card(&args.placeholder).to_string()),
        };
        let first = client.prepare_send::<CreateCard>(&(), &(), &req)?;
        output::print(&serde_json::to_value(first).unwrap_or_default(), format);
        return Ok(());
    }
    let mut stream = client
        .start_card_stream(
            args.to.to.as_deref().unwrap_or(""),
            args.to.to_type,
            args.to.reply_to.as_deref(),
            &args.placeholder,
        )
        .await?;
    let chars: Vec<char> = text.chars().collect();
    let bar = ProgressBar::new(chars.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} characters  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let every = Duration::from_millis(1000 / u64::from(WRITES_PER_SECOND));
    let mut ticker = tokio::time::interval(Duration::from_millis(args.interval_ms.max(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pending = String::new();
    let mut last_write: Option<Instant> = None;
    let mut writes = 0u64;
    for piece in chars.chunks(args.chunk_chars as usize) {
        ticker.tick().await;
        pending.extend(piece);
        bar.inc(piece.len() as u64);
        if last_write.is_some_and(|at| at.elapsed() < every) {
            continue;
        }
        stream.append(&std::mem::take(&mut pending)).await?;
        last_write = Some(Instant::now());
        writes += 1;
        bar.set_message(format!("{writes} writes"));
    }
    if !pending.is_empty() {
        if let Some(at) = last_write {
            tokio::time::sleep(every.saturating_sub(at.elapsed())).await;
        }
        stream.append(&pending).await?;
        last_write = Some(Instant::now());
        writes += 1;
    }
    bar.finish_and_clear();
    if let Some(at) = last_write {
        tokio::time::sleep(every.saturating_sub(at.elapsed())).await;
    }
    let card_id = stream.card_id().to_string();
    let message_id = stream.finish().await?;
    output::print(
        &json!({"message_id": message_id, "card_id": card_id, "characters": chars.len(), "writes": writes}),
        format,
    );
    Ok(())
}
