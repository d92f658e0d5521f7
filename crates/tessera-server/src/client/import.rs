//! `tessera import FILE`: relationships (and a YAML file's schema) into a server, in
//! transactions of `--batch-size`, with progress, resumable after a failure.
//!
//! After each committed transaction the last line it covered is saved in the sidecar file
//! `FILE.tessera-progress`. A failed run leaves it behind, and the same command run again
//! skips what was committed; a successful run deletes it. Should a run die between a commit
//! and saving its progress, the rerun meets relationships that exist already: that batch
//! is then written with TOUCH instead, so reruns are always safe.

use std::io::{BufRead as _, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::json;
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::permissions_service_client::PermissionsServiceClient;
use tessera_proto::authzed::api::v1::schema_service_client::SchemaServiceClient;
use tessera_types::Relationship;

use super::ClientArgs;
use super::progress::Progress;
use super::relationship::{updates, write_updates};
use super::status::explain;
use super::wire::{parse_relationship, relationship_to_wire};

/// `tessera import`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  tessera import relationships.txt\n  tessera import \
                        example.yaml --batch-size 5000\n  tessera import relationships.txt \
                        --resume-from 120000\n\nText files hold one relationship per line \
                        (`doc:1#reader@user:alice` or `doc:1 reader user:alice`); blank lines \
                        and lines starting with `#` are skipped. A validation YAML's schema is \
                        written first, then its relationships.\n\nResuming: progress is saved \
                        in FILE.tessera-progress after every batch; after a failure, fix the \
                        problem and run the same command again to continue where it stopped \
                        (--restart starts over)."
)]
pub struct ImportArgs {
    /// A validation YAML (`.yaml`/`.yml`) or a text file of relationships, one per line.
    file: PathBuf,
    /// Relationships per transaction; progress is saved after each.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    batch_size: usize,
    /// Skip every relationship on lines up to and including LINE (ignores the progress file).
    #[arg(long, value_name = "LINE")]
    resume_from: Option<usize>,
    /// Start from the first line even if a progress file says otherwise.
    #[arg(long, conflicts_with = "resume_from")]
    restart: bool,
    /// Do not write the schema of a YAML file.
    #[arg(long)]
    skip_schema: bool,
    #[command(flatten)]
    client: ClientArgs,
}

/// Relationships per ImportBulkRelationships message (each stays far below 4 MiB).
const MESSAGE_SIZE: usize = 1000;

type Entry = anyhow::Result<(usize, Relationship)>;

fn progress_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".tessera-progress");
    PathBuf::from(name)
}

fn read_progress(path: &Path) -> anyhow::Result<Option<usize>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).with_context(|| format!("cannot read `{}`", path.display())),
    };
    let value: serde_json::Value = serde_json::from_str(&text).ok().with_context(|| {
        format!(
            "`{}` is damaged: delete it or pass --restart",
            path.display()
        )
    })?;
    let line = value
        .get("committed_through_line")
        .and_then(serde_json::Value::as_u64)
        .with_context(|| {
            format!(
                "`{}` is damaged: delete it or pass --restart",
                path.display()
            )
        })?;
    Ok(Some(usize::try_from(line)?))
}

fn save_progress(path: &Path, file: &Path, line: usize, imported: u64) -> anyhow::Result<()> {
    let temporary = {
        let mut name = path.as_os_str().to_owned();
        name.push(".tmp");
        PathBuf::from(name)
    };
    let text = json!({
        "file": file.display().to_string(),
        "committed_through_line": line,
        "imported_this_run": imported,
    });
    std::fs::write(&temporary, format!("{text}\n"))
        .and_then(|()| std::fs::rename(&temporary, path))
        .with_context(|| format!("cannot save progress to `{}`", path.display()))
}

fn is_yaml(file: &Path) -> bool {
    file.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"))
}

/// The relationship lines of a text file, counted for the progress bar.
fn count_text_entries(file: &Path) -> anyhow::Result<u64> {
    let reader = std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("cannot read `{}`", file.display()))?,
    );
    let mut count = 0;
    for line in reader.lines() {
        if is_entry(&line?) {
            count += 1;
        }
    }
    Ok(count)
}

fn is_entry(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty() && !line.starts_with('#') && !line.starts_with("//")
}

fn text_entries(file: &Path) -> anyhow::Result<impl Iterator<Item = Entry>> {
    let reader = std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("cannot read `{}`", file.display()))?,
    );
    let name = file.display().to_string();
    Ok(reader.lines().enumerate().filter_map(move |(index, line)| {
        let number = index + 1;
        match line {
            Err(err) => {
                Some(Err(anyhow::Error::from(err)
                    .context(format!("cannot read `{name}` at line {number}"))))
            }
            Ok(line) if !is_entry(&line) => None,
            Ok(line) => Some(
                parse_relationship(&line)
                    .map(|relationship| (number, relationship))
                    .map_err(|err| err.context(format!("{name}: line {number}"))),
            ),
        }
    }))
}

pub(crate) async fn run(args: ImportArgs, out: &mut impl Write) -> anyhow::Result<u8> {
    anyhow::ensure!(args.batch_size > 0, "--batch-size must be at least 1");
    let sidecar = progress_path(&args.file);
    let start_after = match (args.resume_from, args.restart) {
        (Some(line), _) => line,
        (None, true) => 0,
        (None, false) => match read_progress(&sidecar)? {
            Some(line) => {
                eprintln!(
                    "resuming after line {line} (saved in `{}`; --restart starts over)",
                    sidecar.display()
                );
                line
            }
            None => 0,
        },
    };

    let channel = args.client.connection.connect().await?;
    let (total, entries): (u64, Box<dyn Iterator<Item = Entry>>) = if is_yaml(&args.file) {
        let file = tessera_validation::ValidationFile::read(&args.file)
            .with_context(|| format!("cannot import `{}`", args.file.display()))?;
        if !args.skip_schema && !file.schema.trim().is_empty() {
            SchemaServiceClient::new(channel.clone())
                .write_schema(wire::WriteSchemaRequest {
                    schema: file.schema.clone(),
                })
                .await
                .map_err(|status| explain("WriteSchema", &status))?;
            eprintln!("schema written");
        }
        let total = u64::try_from(file.relationships.len())?;
        (
            total,
            Box::new(
                file.relationships
                    .into_iter()
                    .map(|(relationship, line)| Ok((line, relationship))),
            ),
        )
    } else {
        (
            count_text_entries(&args.file)?,
            Box::new(text_entries(&args.file)?),
        )
    };

    let mut client = PermissionsServiceClient::new(channel);
    let mut importer = Importer {
        client: &mut client,
        sidecar: &sidecar,
        file: &args.file,
        batch: Vec::with_capacity(args.batch_size),
        batch_lines: (0, 0),
        committed_line: start_after,
        imported: 0,
    };
    let mut skipped = 0_u64;
    let mut progress: Option<Progress> = None;
    for entry in entries {
        let (line, relationship) = match entry {
            Ok(entry) => entry,
            Err(err) => {
                // Keep what came before the bad line, then stop.
                let flushed = importer.flush(progress.as_mut()).await;
                return Err(importer.failure(err, flushed.err(), progress.as_ref()));
            }
        };
        if line <= start_after {
            skipped += 1;
            continue;
        }
        let progress =
            progress.get_or_insert_with(|| Progress::new("importing", Some(total), skipped));
        if importer.batch.is_empty() {
            importer.batch_lines.0 = line;
        }
        importer.batch_lines.1 = line;
        importer.batch.push(relationship_to_wire(&relationship));
        if importer.batch.len() >= args.batch_size {
            if let Err(err) = importer.flush(Some(progress)).await {
                return Err(importer.failure(err, None, Some(progress)));
            }
        }
    }
    let mut progress = progress.unwrap_or_else(|| Progress::new("importing", Some(total), skipped));
    if let Err(err) = importer.flush(Some(&mut progress)).await {
        return Err(importer.failure(err, None, Some(&progress)));
    }
    progress.finish("imported");
    match std::fs::remove_file(&sidecar) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => eprintln!("warning: cannot remove `{}`: {err}", sidecar.display()),
    }
    if args.client.json {
        writeln!(
            out,
            "{}",
            json!({ "imported": importer.imported, "skipped": skipped })
        )?;
    } else {
        let resumed = if skipped > 0 {
            format!(" ({skipped} skipped: committed by an earlier run)")
        } else {
            String::new()
        };
        writeln!(
            out,
            "imported {} relationship(s){resumed}",
            importer.imported
        )?;
    }
    Ok(0)
}

struct Importer<'a> {
    client: &'a mut PermissionsServiceClient<crate::AuthedChannel>,
    sidecar: &'a Path,
    file: &'a Path,
    batch: Vec<wire::Relationship>,
    /// First and last line of the batch.
    batch_lines: (usize, usize),
    committed_line: usize,
    imported: u64,
}

impl Importer<'_> {
    /// Commits the batch as one transaction and records the progress.
    async fn flush(&mut self, progress: Option<&mut Progress>) -> anyhow::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let count = u64::try_from(batch.len())?;
        let messages: Vec<wire::ImportBulkRelationshipsRequest> = batch
            .chunks(MESSAGE_SIZE)
            .map(|chunk| wire::ImportBulkRelationshipsRequest {
                relationships: chunk.to_vec(),
            })
            .collect();
        let (first, last) = self.batch_lines;
        match self
            .client
            .import_bulk_relationships(tokio_stream::iter(messages))
            .await
        {
            Ok(_) => {}
            Err(status)
                if matches!(
                    status.code(),
                    tonic::Code::AlreadyExists | tonic::Code::Unimplemented
                ) =>
            {
                // Committed before by a run that died before saving its progress, or a server
                // without bulk import (SpiceDB's embedded build): TOUCH the batch instead, in
                // writes of at most 1,000 updates.
                let relationships = batch
                    .iter()
                    .map(super::wire::relationship_from_wire)
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let operation = wire::relationship_update::Operation::Touch;
                write_updates(self.client, updates(&relationships, operation))
                    .await
                    .with_context(|| format!("lines {first}-{last} were rejected"))?;
            }
            Err(status) => {
                return Err(explain("ImportBulkRelationships", &status))
                    .with_context(|| format!("lines {first}-{last} were rejected"));
            }
        }
        self.committed_line = last;
        self.imported += count;
        save_progress(self.sidecar, self.file, last, self.imported)?;
        if let Some(progress) = progress {
            progress.add(count);
        }
        Ok(())
    }

    /// The error of a failed run, saying how far it got and how to go on.
    fn failure(
        &self,
        err: anyhow::Error,
        also: Option<anyhow::Error>,
        progress: Option<&Progress>,
    ) -> anyhow::Error {
        if let Some(progress) = progress {
            progress.finish("stopped");
        }
        let also = also
            .map(|also| format!("\n  also: {also:#}"))
            .unwrap_or_default();
        let how = if self.committed_line > 0 {
            format!(
                "\n  everything up to line {} is committed ({} relationship(s) in this run; saved \
                 in `{}`); fix the problem and run the same command again to resume",
                self.committed_line,
                self.imported,
                self.sidecar.display()
            )
        } else {
            "\n  nothing was imported; fix the problem and run the command again".to_owned()
        };
        anyhow::anyhow!("{err:#}{also}{how}")
    }
}
