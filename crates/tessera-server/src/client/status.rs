//! gRPC failures as short messages that say what to do.

use tonic::Code;

/// A failed call, explained: what went wrong, the gRPC code, and a hint.
#[derive(Debug, thiserror::Error)]
#[error("{what} failed: {message} ({code:?}){hint}")]
pub(crate) struct CallFailed {
    what: &'static str,
    message: String,
    code: Code,
    hint: String,
}

/// Explains a failed `what` (e.g. "CheckPermission").
pub(crate) fn explain(what: &'static str, status: &tonic::Status) -> anyhow::Error {
    let hint = match status.code() {
        Code::Unauthenticated => {
            "\n  hint: give the server's key with --token, TESSERA_TOKEN or `tessera context set`"
        }
        Code::PermissionDenied => "\n  hint: this token is valid but not allowed to do that",
        Code::Unavailable => {
            "\n  hint: is the server running at that --endpoint? add --insecure for a plaintext \
             server, drop it for TLS"
        }
        Code::Unimplemented => "\n  hint: this server does not offer that call",
        Code::DeadlineExceeded => "\n  hint: the server took too long; try a smaller request",
        Code::AlreadyExists => {
            "\n  hint: the relationship exists already; `relationship touch` writes it anyway"
        }
        Code::FailedPrecondition if status.message().contains("schema") => {
            "\n  hint: write a schema first with `tessera schema write FILE`"
        }
        Code::OutOfRange => "\n  hint: that ZedToken is too old; ask with --consistency full",
        Code::ResourceExhausted => "\n  hint: the request is too large or the server is busy",
        _ => "",
    };
    let message = match status.message() {
        "" => "no message".to_owned(),
        message => message.to_owned(),
    };
    CallFailed {
        what,
        message,
        code: status.code(),
        hint: hint.to_owned(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_call_the_code_and_what_to_do() {
        let error = explain("ReadSchema", &tonic::Status::unauthenticated("bad key"));
        assert_eq!(
            error.to_string(),
            "ReadSchema failed: bad key (Unauthenticated)\n  hint: give the server's key with \
             --token, TESSERA_TOKEN or `tessera context set`"
        );
    }
}
