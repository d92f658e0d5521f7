use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::error::ServerError;

/// Installs the process-wide tracing subscriber: `format` lines on stderr, filtered by
/// `filter` (`RUST_LOG` syntax). Only the server binary calls this; libraries only emit.
///
/// # Errors
/// [`ServerError::Config`] for a filter that does not parse or a second installation.
pub fn init_logging(format: LogFormat, filter: &str) -> Result<(), ServerError> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|err| ServerError::Config(format!("invalid log filter `{filter}`: {err}")))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    installed.map_err(|err| ServerError::Config(format!("cannot install logging: {err}")))
}
