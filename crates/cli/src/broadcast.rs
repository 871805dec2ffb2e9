//! `larkfeed feed-card broadcast`: one card for many users, 20 per request, paced to the rate
//! limit, with a journal so that a run that is stopped resumes without giving anyone a second card.
//!
//! The journal is a JSON-lines file: a header with the card's `biz_id`, then one line per chunk
//! the server answered, written (and synced) as each answer arrives. Up to `--concurrency` chunks
//! are in flight at once. On resume, users in the journal are skipped. A chunk sent but not yet
//! journaled when the run stopped is sent again; the server answers `DUPLICATED` for those users
//! (the `biz_id` is the same), which counts as done.

use crate::input::{read_json, IdTypeArg};
use crate::output::{self, Format};
use crate::Failure;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use larkfeed_client::Client;
use larkfeed_model::endpoint::{CreateAppFeedCard, UserIds};
use larkfeed_model::feed_card::{CreateAppFeedCardRequest, OpenAppFeedCard, Reason, MAX_USERS};
use larkfeed_model::UserIdType;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

#[derive(Debug, Args)]
pub struct BroadcastArgs {
    /// Users, one id per line, or CSV whose first column is the id (a header line naming the id
    /// type is skipped; blank lines and lines starting with # too).
    #[arg(long)]
    pub users: PathBuf,
    /// The card: an `app_feed_card` object as JSON, inline, from a file, or - for standard input.
    #[arg(long)]
    pub card: PathBuf,
    /// The journal that makes the run resumable (default: the users file + `.journal`).
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Requests a second (each for up to 20 users); the platform allows 10. 0 means unpaced.
    #[arg(long, default_value_t = 10)]
    pub rate: u32,
    /// Requests in flight at once. More goes faster against a server without limits (with
    /// `--rate 0`); each chunk in flight when a run stops is sent again on resume.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,
    /// Start over: forget the journal of an earlier run and send to every user again (a card
    /// without a biz_id gets a new one, so users who had the old card get this one too).
    #[arg(long)]
    pub fresh: bool,
    #[command(flatten)]
    pub ids: IdTypeArg,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum Line {
    Header {
        biz_id: String,
    },
    Chunk {
        created: Vec<String>,
        #[serde(default)]
        duplicated: Vec<String>,
        #[serde(default)]
        failed: Vec<(String, String)>,
    },
}

/// Reads the users file: first CSV column (quoted or not), de-duplicated, in order; blank lines,
/// `#` comments and a header row (`open_id`, `user_id`, …) are skipped.
pub fn read_users(path: &Path) -> Result<Vec<String>, Failure> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    let mut seen = HashSet::new();
    let mut users = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
        let id = record.get(0).unwrap_or("");
        if id.is_empty() {
            continue;
        }
        if n == 0 && ["open_id", "union_id", "user_id", "id", "user"].contains(&id) {
            continue;
        }
        if seen.insert(id.to_string()) {
            users.push(id.to_string());
        }
    }
    Ok(users)
}

struct Journal {
    biz_id: Option<String>,
    settled: HashSet<String>,
    /// (user, reason) of failures recorded by earlier runs.
    failed: Vec<(String, String)>,
    file: tokio::fs::File,
}

async fn open_journal(path: &Path) -> Result<Journal, Failure> {
    let io = |e: std::io::Error| Failure::Config(format!("journal {}: {e}", path.display()));
    let mut biz_id = None;
    let mut settled = HashSet::new();
    let mut failed_before = Vec::new();
    if tokio::fs::try_exists(path).await.map_err(io)? {
        let text = tokio::fs::read_to_string(path).await.map_err(io)?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            // A line cut short by a kill is the last one; it was never acknowledged as written.
            let Ok(parsed) = serde_json::from_str::<Line>(line) else {
                continue;
            };
            match parsed {
                Line::Header { biz_id: b } => biz_id = Some(b),
                Line::Chunk {
                    created,
                    duplicated,
                    failed,
                } => {
                    settled.extend(created);
                    settled.extend(duplicated);
                    settled.extend(failed.iter().map(|(u, _)| u.clone()));
                    failed_before.extend(failed);
                }
            }
        }
    }
    let file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await
        .map_err(io)?;
    Ok(Journal {
        biz_id,
        settled,
        failed: failed_before,
        file,
    })
}

impl Journal {
    /// Appends one line and waits until it is on disk.
    async fn write(&mut self, line: &Line) -> Result<(), Failure> {
        let mut text = serde_json::to_string(line).unwrap_or_default();
        text.push('\n');
        let written = async {
            self.file.write_all(text.as_bytes()).await?;
            self.file.sync_data().await
        };
        written
            .await
            .map_err(|e| Failure::Config(format!("cannot write the journal: {e}")))
    }
}

pub async fn run(
    args: &BroadcastArgs,
    client: &Client,
    dry_run: bool,
    format: Format,
) -> Result<(), Failure> {
    let id_type: UserIdType = args.ids.user_id_type;
    // The card and the users file are read off the runtime's threads.
    let (card_path, users_path) = (args.card.clone(), args.users.clone());
    let (mut card, users) = tokio::task::spawn_blocking(move || {
        Ok::<_, Failure>((
            read_json::<OpenAppFeedCard>(&card_path)?,
            read_users(&users_path)?,
        ))
    })
    .await
    .map_err(|e| Failure::Config(format!("reading the inputs failed: {e}")))??;
    if users.is_empty() {
        return Err(Failure::Usage(format!(
            "no users in {}",
            args.users.display()
        )));
    }
    // The card's own rules, checked once for the whole run.
    CreateAppFeedCardRequest {
        app_feed_card: Some(card.clone()),
        user_ids: Some(vec![users[0].clone()]),
    }
    .validate()?;
    let journal_path = args.journal.clone().unwrap_or_else(|| {
        let mut p = args.users.clone().into_os_string();
        p.push(".journal");
        PathBuf::from(p)
    });
    if dry_run {
        let biz_id = card.biz_id.clone().unwrap_or_else(|| "(generated)".into());
        card.biz_id = Some(biz_id.clone());
        let first = CreateAppFeedCardRequest {
            app_feed_card: Some(card),
            user_ids: Some(users.iter().take(MAX_USERS).cloned().collect()),
        };
        let prepared = client.prepare_send::<CreateAppFeedCard>(&(), &UserIds(id_type), &first)?;
        let plan = json!({
            "biz_id": biz_id,
            "users": users.len(),
            "requests": users.len().div_ceil(MAX_USERS),
            "journal": journal_path.display().to_string(),
            "first_request": prepared,
        });
        output::print(&plan, format);
        return Ok(());
    }

    if args.fresh {
        match tokio::fs::remove_file(&journal_path).await {
            Ok(()) => eprintln!("starting over: removed {}", journal_path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Failure::Config(format!(
                    "cannot remove the journal {}: {e}",
                    journal_path.display()
                )))
            }
        }
    }
    let mut journal = open_journal(&journal_path).await?;
    let biz_id = match (&journal.biz_id, &card.biz_id) {
        (Some(j), Some(c)) if j != c => {
            return Err(Failure::Config(format!(
                "the journal {} belongs to biz_id {j:?}, the card has {c:?}; remove the journal or pass --journal",
                journal_path.display()
            )))
        }
        (Some(j), _) => j.clone(),
        (None, given) => {
            let b = given
                .clone()
                .unwrap_or_else(|| format!("broadcast-{}", uuid::Uuid::new_v4()));
            journal.write(&Line::Header { biz_id: b.clone() }).await?;
            b
        }
    };
    card.biz_id = Some(biz_id.clone());
    let todo: Vec<String> = users
        .iter()
        .filter(|u| !journal.settled.contains(*u))
        .cloned()
        .collect();
    let skipped = users.len() - todo.len();
    // What a run that resumes did not send, said where a person and a script both see it.
    let resumed = (skipped > 0).then(|| {
        let what = if todo.is_empty() {
            format!(
                "every one of the {} users was done by an earlier run recorded in {}: nothing was sent",
                users.len(),
                journal_path.display()
            )
        } else {
            format!(
                "resumed from {}: {skipped} of {} users were done by an earlier run and were skipped",
                journal_path.display(),
                users.len()
            )
        };
        format!("{what}; pass --fresh to start over")
    });
    if let Some(note) = &resumed {
        eprintln!("{note}");
    }

    let bar = ProgressBar::new(users.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} users  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(skipped as u64);
    let mut ticker = (args.rate > 0).then(|| {
        let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate)));
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    let started = Instant::now();
    let (mut created, mut duplicated) = (0usize, 0usize);
    // Failures of earlier runs stay in the summary: those users still have no card.
    let listed: HashSet<&String> = users.iter().collect();
    let mut failed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (user, why) in &journal.failed {
        if listed.contains(user) {
            failed.entry(why.clone()).or_default().push(user.clone());
        }
    }
    let mut chunks = todo.chunks(MAX_USERS);
    let mut next = chunks.next();
    let mut in_flight = tokio::task::JoinSet::new();
    loop {
        if next.is_none() && in_flight.is_empty() {
            break;
        }
        let can_send = next.is_some() && in_flight.len() < args.concurrency as usize;
        let done = tokio::select! {
            // Answers first, so each is journaled as soon as it arrives.
            biased;
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => done,
            () = next_tick(&mut ticker), if can_send => {
                if let Some(chunk) = next.take() {
                    let req = CreateAppFeedCardRequest {
                        app_feed_card: Some(card.clone()),
                        user_ids: Some(chunk.to_vec()),
                    };
                    let (client, chunk) = (client.clone(), chunk.to_vec());
                    in_flight.spawn(async move {
                        let answer = client.create_app_feed_card(&req, id_type).await;
                        (chunk, answer)
                    });
                }
                next = chunks.next();
                continue;
            }
        };
        let (chunk, answer) =
            done.map_err(|e| Failure::Config(format!("a request task failed: {e}")))?;
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                bar.abandon();
                eprintln!(
                    "stopped after {} of {} users; run the same command again to resume",
                    bar.position(),
                    users.len()
                );
                return Err(e.into());
            }
        };
        let mut line_failed = Vec::new();
        let mut line_dup = Vec::new();
        let mut bad: HashSet<&str> = HashSet::new();
        for f in &answer.failed_cards {
            bad.insert(f.user_id.as_str());
            if f.reason == Reason::Duplicated {
                line_dup.push(f.user_id.clone());
            } else {
                line_failed.push((f.user_id.clone(), f.reason.to_string()));
                failed
                    .entry(f.reason.to_string())
                    .or_default()
                    .push(f.user_id.clone());
            }
        }
        let line_created: Vec<String> = chunk
            .iter()
            .filter(|u| !bad.contains(u.as_str()))
            .cloned()
            .collect();
        created += line_created.len();
        duplicated += line_dup.len();
        journal
            .write(&Line::Chunk {
                created: line_created,
                duplicated: line_dup,
                failed: line_failed,
            })
            .await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let summary = json!({
        "biz_id": biz_id,
        "users": users.len(),
        "created": created,
        "already_had_it": duplicated,
        "done_in_an_earlier_run": skipped,
        "failed": failed,
        "seconds": (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
        "journal": journal_path.display().to_string(),
        "resumed": resumed,
    });
    output::print(&summary, format);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Partial)
    }
}

/// Waits for the pacing ticker's next tick, or not at all when unpaced.
async fn next_tick(ticker: &mut Option<tokio::time::Interval>) {
    if let Some(t) = ticker.as_mut() {
        t.tick().await;
    }
}

#[cfg(test)]
mod read_users_tests {
    use super::*;

    #[test]
    fn the_first_column_of_a_csv_file_in_order_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.csv");
        std::fs::write(
            &path,
            "open_id,name\n# a comment\n\"ou_1\",\"Lin, Mei\"\n ou_2 , Tomas\n\nou_1,again\nou_3\n",
        )
        .unwrap();
        assert_eq!(read_users(&path).unwrap(), ["ou_1", "ou_2", "ou_3"]);
        assert!(matches!(
            read_users(&dir.path().join("missing.csv")),
            Err(Failure::Usage(_))
        ));
    }
}
