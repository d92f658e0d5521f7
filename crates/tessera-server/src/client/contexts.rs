//! Named connection contexts (`tessera context ...`), saved like zed's in
//! `$XDG_CONFIG_HOME/tessera/contexts.json` (default `~/.config/tessera/contexts.json`).
//!
//! The current context (or the one named by `TESSERA_CONTEXT`) supplies the defaults of the
//! connection flags: a flag beats its environment variable, which beats the context, which
//! beats the built-in default.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::Context as _;
use serde_json::{Map, Value, json};

use super::output::Table;

/// Where the contexts file lives.
pub(crate) fn config_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("tessera").join("contexts.json"))
}

/// One saved server: where it is and how to authenticate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SavedContext {
    pub(crate) endpoint: String,
    pub(crate) token: Option<String>,
    pub(crate) insecure: bool,
    pub(crate) tls_ca: Option<PathBuf>,
}

/// The contents of the contexts file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Contexts {
    pub(crate) current: Option<String>,
    pub(crate) contexts: BTreeMap<String, SavedContext>,
}

impl Contexts {
    /// Reads the file; a missing file is an empty set of contexts.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(err) => {
                return Err(err).with_context(|| format!("cannot read `{}`", path.display()));
            }
        };
        Self::parse(&text).with_context(|| {
            format!(
                "`{}` is not a valid contexts file: fix it, or delete it and run `tessera \
                 context set` again",
                path.display()
            )
        })
    }

    fn parse(text: &str) -> anyhow::Result<Self> {
        let value: Value = serde_json::from_str(text)?;
        let current = value
            .get("current")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut contexts = BTreeMap::new();
        if let Some(map) = value.get("contexts").and_then(Value::as_object) {
            for (name, saved) in map {
                let field = |key: &str| saved.get(key).and_then(Value::as_str).map(str::to_owned);
                let endpoint = field("endpoint")
                    .ok_or_else(|| anyhow::anyhow!("context `{name}` has no endpoint"))?;
                contexts.insert(
                    name.clone(),
                    SavedContext {
                        endpoint,
                        token: field("token"),
                        insecure: saved
                            .get("insecure")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                        tls_ca: field("tls_ca").map(PathBuf::from),
                    },
                );
            }
        }
        Ok(Self { current, contexts })
    }

    fn to_json(&self) -> Value {
        let mut contexts = Map::new();
        for (name, saved) in &self.contexts {
            let mut entry = Map::new();
            entry.insert("endpoint".to_owned(), json!(saved.endpoint));
            if let Some(token) = &saved.token {
                entry.insert("token".to_owned(), json!(token));
            }
            entry.insert("insecure".to_owned(), json!(saved.insecure));
            if let Some(ca) = &saved.tls_ca {
                entry.insert("tls_ca".to_owned(), json!(ca.display().to_string()));
            }
            contexts.insert(name.clone(), Value::Object(entry));
        }
        json!({ "current": self.current, "contexts": contexts })
    }

    /// Writes the file (readable by its owner only: it holds tokens).
    pub(crate) fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&self.to_json())?;
        let temporary = path.with_extension("json.tmp");
        let mut file = open_private(&temporary)
            .with_context(|| format!("cannot write `{}`", temporary.display()))?;
        file.write_all(text.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, path)
            .with_context(|| format!("cannot write `{}`", path.display()))
    }

    /// The context in force: `TESSERA_CONTEXT`, else the current one.
    pub(crate) fn selected(&self) -> Option<(&str, &SavedContext)> {
        let name = std::env::var("TESSERA_CONTEXT")
            .ok()
            .filter(|name| !name.is_empty())
            .or_else(|| self.current.clone())?;
        self.contexts
            .get_key_value(name.as_str())
            .map(|(name, saved)| (name.as_str(), saved))
    }
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}

/// The selected context as loaded once per process, for the connection flags' defaults.
/// A file that cannot be read gives no defaults here; [`load_error`] tells why.
pub(crate) fn defaults() -> Option<&'static SavedContext> {
    loaded()
        .as_ref()
        .ok()
        .and_then(|contexts| contexts.selected().map(|(_, saved)| saved))
}

/// Why the contexts file could not be loaded, if it could not.
pub(crate) fn load_error() -> Option<String> {
    loaded().as_ref().err().cloned()
}

fn loaded() -> &'static Result<Contexts, String> {
    static LOADED: OnceLock<Result<Contexts, String>> = OnceLock::new();
    LOADED.get_or_init(|| match config_path() {
        Some(path) => Contexts::load(&path).map_err(|err| format!("{err:#}")),
        None => Ok(Contexts::default()),
    })
}

/// `tessera context` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ContextCommand {
    /// Save (or replace) a named server connection and make it the current one.
    #[command(
        after_help = "Examples:\n  tessera context set local --endpoint 127.0.0.1:50051 \
                            --token devkey --insecure\n  tessera context set prod --endpoint \
                            authz.example.com:443 --token \"$PROD_KEY\""
    )]
    Set {
        /// The context's name.
        name: String,
        /// The server's gRPC address, `HOST:PORT`.
        #[arg(long)]
        endpoint: String,
        /// The bearer token (stored in the contexts file, readable by you only).
        #[arg(long)]
        token: Option<String>,
        /// Speak plaintext gRPC (a local server without TLS).
        #[arg(long)]
        insecure: bool,
        /// PEM file of the CA that signed the server's certificate.
        #[arg(long, value_name = "PEM", conflicts_with = "insecure")]
        tls_ca: Option<PathBuf>,
    },
    /// Make a saved context the current one.
    #[command(after_help = "Examples:\n  tessera context use prod")]
    Use {
        /// The context's name.
        name: String,
    },
    /// List saved contexts; the current one is marked with `*`.
    #[command(after_help = "Examples:\n  tessera context list\n  tessera context list --json")]
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delete a saved context.
    #[command(after_help = "Examples:\n  tessera context remove staging")]
    Remove {
        /// The context's name.
        name: String,
    },
}

/// Runs a context subcommand.
pub(crate) fn run(command: ContextCommand, out: &mut impl Write) -> anyhow::Result<()> {
    let path = config_path().ok_or_else(|| {
        anyhow::anyhow!("cannot find the config directory: set HOME or XDG_CONFIG_HOME")
    })?;
    let mut contexts = Contexts::load(&path)?;
    match command {
        ContextCommand::Set {
            name,
            endpoint,
            token,
            insecure,
            tls_ca,
        } => {
            let tls_ca = tls_ca
                .map(|ca| std::path::absolute(&ca).unwrap_or(ca))
                .filter(|_| !insecure);
            contexts.contexts.insert(
                name.clone(),
                SavedContext {
                    endpoint,
                    token,
                    insecure,
                    tls_ca,
                },
            );
            contexts.current = Some(name.clone());
            contexts.save(&path)?;
            writeln!(out, "saved context `{name}` (now current)")?;
        }
        ContextCommand::Use { name } => {
            if !contexts.contexts.contains_key(&name) {
                anyhow::bail!(
                    "no context named `{name}`: `tessera context list` shows the saved ones"
                );
            }
            contexts.current = Some(name.clone());
            contexts.save(&path)?;
            writeln!(out, "current context: `{name}`")?;
        }
        ContextCommand::Remove { name } => {
            if contexts.contexts.remove(&name).is_none() {
                anyhow::bail!(
                    "no context named `{name}`: `tessera context list` shows the saved ones"
                );
            }
            if contexts.current.as_deref() == Some(name.as_str()) {
                contexts.current = None;
            }
            contexts.save(&path)?;
            writeln!(out, "removed context `{name}`")?;
        }
        ContextCommand::List { json } => {
            let selected = contexts.selected().map(|(name, _)| name.to_owned());
            if json {
                let list: Vec<Value> = contexts
                    .contexts
                    .iter()
                    .map(|(name, saved)| {
                        json!({
                            "name": name,
                            "current": selected.as_deref() == Some(name.as_str()),
                            "endpoint": saved.endpoint,
                            "token": saved.token.as_ref().map(|_| "<redacted>"),
                            "insecure": saved.insecure,
                            "tls_ca": saved.tls_ca.as_ref().map(|ca| ca.display().to_string()),
                        })
                    })
                    .collect();
                writeln!(out, "{}", Value::Array(list))?;
            } else {
                let mut table = Table::new(["CURRENT", "NAME", "ENDPOINT", "TOKEN", "TLS"]);
                for (name, saved) in &contexts.contexts {
                    let current = if selected.as_deref() == Some(name.as_str()) {
                        "*"
                    } else {
                        ""
                    };
                    let token = if saved.token.is_some() {
                        "<redacted>"
                    } else {
                        ""
                    };
                    let tls = match (&saved.tls_ca, saved.insecure) {
                        (_, true) => "plaintext".to_owned(),
                        (Some(ca), false) => format!("CA {}", ca.display()),
                        (None, false) => "system roots".to_owned(),
                    };
                    table.row([
                        current.to_owned(),
                        name.clone(),
                        saved.endpoint.clone(),
                        token.to_owned(),
                        tls,
                    ]);
                }
                table.print(out)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tessera").join("contexts.json");
        let mut contexts = Contexts::default();
        contexts.contexts.insert(
            "local".to_owned(),
            SavedContext {
                endpoint: "127.0.0.1:50051".to_owned(),
                token: Some("key".to_owned()),
                insecure: true,
                tls_ca: None,
            },
        );
        contexts.current = Some("local".to_owned());
        contexts.save(&path).unwrap();
        assert_eq!(Contexts::load(&path).unwrap(), contexts);
        assert_eq!(
            Contexts::load(&dir.path().join("missing.json")).unwrap(),
            Contexts::default()
        );
    }

    #[test]
    fn a_broken_file_says_how_to_recover() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("contexts.json");
        std::fs::write(&path, "{not json").unwrap();
        let message = format!("{:#}", Contexts::load(&path).unwrap_err());
        assert!(message.contains("tessera context set"), "{message}");
    }
}
