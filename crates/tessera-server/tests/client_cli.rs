//! The client commands, run as the real binary against a real `tessera serve`.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers of a test: a failure is the test failing"
)]

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "client-cli-test-key";

const SCHEMA: &str = "\
definition user {}

caveat on_tuesday(day string) {
  day == 'tuesday'
}

definition group {
  relation member: user
}

definition doc {
  relation reader: user | group#member | user with on_tuesday
  relation writer: user
  permission edit = writer
  permission view = reader + edit
}
";

/// A `tessera serve` on an ephemeral port, killed on drop.
struct Server {
    child: Child,
    address: String,
    _data: tempfile::TempDir,
    /// An empty config home, so no developer's contexts leak into the tests.
    config: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let config = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--no-metrics",
                "--log-format",
                "json",
            ])
            .arg("--data-dir")
            .arg(data.path())
            .args(["--preshared-key", KEY])
            .env_remove("RUST_LOG")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sender = Some(sender);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("serving the authzed.api.v1 gRPC API") {
                    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
                    if let Some(sender) = sender.take() {
                        sender
                            .send(value["address"].as_str().unwrap().to_owned())
                            .unwrap();
                    }
                }
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server did not start");
        Self {
            child,
            address,
            _data: data,
            config,
        }
    }

    /// A client command as the binary with this server's connection flags.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .args(args)
            .env("TESSERA_ENDPOINT", &self.address)
            .env("TESSERA_TOKEN", KEY)
            .env("XDG_CONFIG_HOME", self.config.path())
            .env_remove("TESSERA_CONTEXT");
        if !args
            .iter()
            .any(|arg| *arg == "--help" || *arg == "--tls-ca")
        {
            command.arg("--insecure");
        }
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with_input(args, "")
    }

    fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "{args:?}: {}", describe(&output));
        String::from_utf8(output.stdout).unwrap()
    }

    fn with_schema(self, dir: &Path) -> Self {
        let file = dir.join("schema.zed");
        fs::write(&file, SCHEMA).unwrap();
        self.ok(&["schema", "write", file.to_str().unwrap()]);
        self
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _killed = self.child.kill();
        let _waited = self.child.wait();
    }
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[test]
fn schema_write_read_and_diff_against_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start();
    let read = server.run(&["schema", "read"]);
    assert_eq!(read.status.code(), Some(1), "{}", describe(&read));
    assert!(
        stderr(&read).contains("tessera schema write"),
        "{}",
        describe(&read)
    );

    let file = path(dir.path(), "schema.zed");
    fs::write(&file, SCHEMA).unwrap();
    let written = server.ok(&["schema", "write", file.to_str().unwrap()]);
    assert!(written.contains("+ definition doc"), "{written}");
    assert!(written.contains("schema written at "), "{written}");
    let read = server.ok(&["schema", "read"]);
    assert!(read.contains("permission view = reader + edit"), "{read}");

    let changed = SCHEMA
        .replace("  permission edit = writer\n", "  relation owner: user\n")
        .replace("reader + edit", "reader + owner");
    let changed_file = path(dir.path(), "changed.zed");
    fs::write(&changed_file, &changed).unwrap();
    let diff = server.ok(&["schema", "diff", changed_file.to_str().unwrap()]);
    assert!(diff.contains("+ relation doc#owner"), "{diff}");
    assert!(diff.contains("- permission doc#edit"), "{diff}");
    assert!(diff.contains("~ permission expression doc#view"), "{diff}");
    let json = server.ok(&["schema", "diff", changed_file.to_str().unwrap(), "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|d| d["change"] == "removed"),
        "{json}"
    );

    // A removal asks first; no answer is no.
    let declined =
        server.run_with_input(&["schema", "write", changed_file.to_str().unwrap()], "n\n");
    assert_eq!(declined.status.code(), Some(1), "{}", describe(&declined));
    assert!(
        stderr(&declined).contains("not written"),
        "{}",
        describe(&declined)
    );
    assert!(server.ok(&["schema", "read"]).contains("permission edit"));
    let accepted =
        server.run_with_input(&["schema", "write", changed_file.to_str().unwrap()], "y\n");
    assert!(accepted.status.success(), "{}", describe(&accepted));
    assert!(server.ok(&["schema", "read"]).contains("relation owner"));
    server.ok(&["schema", "write", "--yes", file.to_str().unwrap()]);
    assert_eq!(
        server
            .ok(&["schema", "diff", file.to_str().unwrap()])
            .trim(),
        "no differences"
    );
}

#[test]
fn relationships_are_created_touched_read_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start().with_schema(dir.path());
    let created = server.ok(&[
        "relationship",
        "create",
        "doc:1",
        "reader",
        "user:alice",
        "doc:1#writer@user:bob",
        "doc:2 reader group:eng#member",
    ]);
    assert!(
        created.starts_with("created 3 relationship(s) at "),
        "{created}"
    );
    let again = server.run(&["relationship", "create", "doc:1#reader@user:alice"]);
    assert_eq!(again.status.code(), Some(1), "{}", describe(&again));
    assert!(
        stderr(&again).contains("(AlreadyExists)"),
        "{}",
        describe(&again)
    );
    assert!(
        stderr(&again).contains("relationship touch"),
        "{}",
        describe(&again)
    );
    server.ok(&[
        "relationship",
        "touch",
        "doc:1#reader@user:alice",
        "doc:3#reader@user:carol[on_tuesday]",
    ]);

    let table = server.ok(&["relationship", "read", "doc"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("RESOURCE  RELATION  SUBJECT"),
        "{table}"
    );
    assert_eq!(lines.len(), 5, "{table}");
    assert!(
        table.contains("doc:3     reader    user:carol        on_tuesday"),
        "{table}"
    );
    let json = server.ok(&["relationship", "read", "doc:1", "reader", "--json"]);
    let rows: Vec<serde_json::Value> = json
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{json}");
    assert_eq!(rows[0]["relationship"], "doc:1#reader@user:alice");
    let by_subject = server.ok(&["relationship", "read", "doc", "*", "user:bob", "--json"]);
    assert_eq!(by_subject.lines().count(), 1, "{by_subject}");

    server.ok(&["relationship", "delete", "doc:1", "reader", "user:alice"]);
    assert_eq!(
        server
            .ok(&["relationship", "read", "doc:1", "reader"])
            .trim(),
        "no relationships match"
    );

    let declined = server.run_with_input(&["relationship", "bulk-delete", "doc"], "no\n");
    assert_eq!(declined.status.code(), Some(1), "{}", describe(&declined));
    assert!(
        stderr(&declined).contains("Delete 3 relationship(s)"),
        "{}",
        describe(&declined)
    );
    let deleted = server.ok(&["relationship", "bulk-delete", "doc", "--yes"]);
    assert!(
        deleted.starts_with("deleted 3 relationship(s)"),
        "{deleted}"
    );
    assert_eq!(
        server.ok(&["relationship", "read", "doc"]).trim(),
        "no relationships match"
    );

    let bad = server.run(&["relationship", "create", "doc:1", "reader"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("incomplete relationship"),
        "{}",
        describe(&bad)
    );
}

#[test]
fn check_exits_0_when_allowed_1_when_denied_or_conditional_and_2_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start().with_schema(dir.path());
    server.ok(&[
        "relationship",
        "create",
        "doc:1#writer@user:alice",
        "doc:1#reader@user:carol[on_tuesday]",
        "doc:1#reader@group:eng#member",
        "group:eng#member@user:dan",
    ]);
    let allowed = server.run(&["permission", "check", "doc:1", "view", "user:alice"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", describe(&allowed));
    assert_eq!(String::from_utf8_lossy(&allowed.stdout).trim(), "true");
    let denied = server.run(&["permission", "check", "doc:1", "view", "user:eve"]);
    assert_eq!(denied.status.code(), Some(1), "{}", describe(&denied));
    assert_eq!(String::from_utf8_lossy(&denied.stdout).trim(), "false");

    let conditional = server.run(&["permission", "check", "doc:1", "view", "user:carol"]);
    assert_eq!(
        conditional.status.code(),
        Some(1),
        "{}",
        describe(&conditional)
    );
    assert!(
        String::from_utf8_lossy(&conditional.stdout)
            .contains("conditional: caveat context missing: day")
    );
    let tuesday = server.run(&[
        "permission",
        "check",
        "doc:1",
        "view",
        "user:carol",
        "--context",
        r#"{"day": "tuesday"}"#,
    ]);
    assert_eq!(tuesday.status.code(), Some(0), "{}", describe(&tuesday));

    let explained = server.ok(&[
        "permission",
        "check",
        "doc:1",
        "view",
        "user:dan",
        "--explain",
    ]);
    assert!(
        explained.starts_with("true\n✓ doc:1#view (permission)"),
        "{explained}"
    );
    assert!(
        explained.contains("└── ") || explained.contains("├── "),
        "{explained}"
    );
    let json = server.ok(&[
        "permission",
        "check",
        "doc:1",
        "edit",
        "user:alice",
        "--json",
        "--explain",
        "--consistency",
        "min",
    ]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["permissionship"], "true");
    assert!(
        json["debug_trace"]["check"]["step"]
            .as_str()
            .unwrap()
            .contains("doc:1#edit")
    );
    let token = json["checked_at"].as_str().unwrap().to_owned();
    let exact = format!("exact:{token}");
    assert_eq!(
        server
            .run(&[
                "permission",
                "check",
                "doc:1",
                "edit",
                "user:alice",
                "--consistency",
                &exact
            ])
            .status
            .code(),
        Some(0)
    );

    let unknown = server.run(&["permission", "check", "doc:1", "nope", "user:alice"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", describe(&unknown));
    assert!(
        stderr(&unknown).starts_with("error: CheckPermission failed: "),
        "{}",
        describe(&unknown)
    );
    let malformed = server.run(&["permission", "check", "doc", "view", "user:alice"]);
    assert_eq!(malformed.status.code(), Some(2), "{}", describe(&malformed));
    assert!(
        stderr(&malformed).contains("write TYPE:ID"),
        "{}",
        describe(&malformed)
    );
    let bad_key = server.run(&[
        "permission",
        "check",
        "doc:1",
        "view",
        "user:alice",
        "--token",
        "wrong",
    ]);
    assert_eq!(bad_key.status.code(), Some(2), "{}", describe(&bad_key));
    assert!(
        stderr(&bad_key).contains("(Unauthenticated)\n  hint: give the server's key"),
        "{}",
        describe(&bad_key)
    );
    let nobody = server.run(&[
        "permission",
        "check",
        "doc:1",
        "view",
        "user:alice",
        "--endpoint",
        "127.0.0.1:1",
    ]);
    assert_eq!(nobody.status.code(), Some(2), "{}", describe(&nobody));
    assert!(
        stderr(&nobody).contains("cannot connect to 127.0.0.1:1"),
        "{}",
        describe(&nobody)
    );
}

#[test]
fn expand_and_lookups_answer_from_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start().with_schema(dir.path());
    server.ok(&[
        "relationship",
        "create",
        "doc:1#writer@user:alice",
        "doc:2#reader@group:eng#member",
        "group:eng#member@user:alice",
        "group:eng#member@user:bob",
        "doc:3#reader@user:carol[on_tuesday]",
    ]);
    let tree = server.ok(&["permission", "expand", "doc:2", "view"]);
    assert!(tree.starts_with("doc:2#view (union)\n"), "{tree}");
    assert!(tree.contains("group:eng#member"), "{tree}");
    let json = server.ok(&["permission", "expand", "doc:1", "view", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["operation"], "union");

    let resources = server.ok(&[
        "permission",
        "lookup-resources",
        "doc",
        "view",
        "user:alice",
    ]);
    let mut found: Vec<&str> = resources.lines().collect();
    found.sort_unstable();
    assert_eq!(found, ["doc:1", "doc:2"]);
    let conditional = server.ok(&[
        "permission",
        "lookup-resources",
        "doc",
        "view",
        "user:carol",
    ]);
    assert_eq!(conditional.trim(), "doc:3 (conditional: needs day)");
    let none = server.ok(&["permission", "lookup-resources", "doc", "edit", "user:bob"]);
    assert_eq!(none.trim(), "no resources found");

    let subjects = server.ok(&["permission", "lookup-subjects", "doc:2", "view", "user"]);
    let mut found: Vec<&str> = subjects.lines().collect();
    found.sort_unstable();
    assert_eq!(found, ["user:alice", "user:bob"]);
    let json = server.ok(&[
        "permission",
        "lookup-subjects",
        "doc:2",
        "view",
        "user",
        "--json",
    ]);
    assert_eq!(json.lines().count(), 2, "{json}");
    let sets = server.ok(&[
        "permission",
        "lookup-subjects",
        "doc:2",
        "view",
        "group#member",
    ]);
    assert_eq!(sets.trim(), "group:eng#member");
}

#[test]
fn watch_streams_committed_changes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start().with_schema(dir.path());
    let mut watch = server
        .command(&["watch", "doc", "--max-changes", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr_lines = BufReader::new(watch.stderr.take().unwrap()).lines();
    let first = stderr_lines.next().unwrap().unwrap();
    assert!(first.starts_with("watching for changes"), "{first}");
    server.ok(&["relationship", "create", "group:eng#member@user:zed"]);
    server.ok(&["relationship", "create", "doc:1#reader@user:alice"]);
    server.ok(&["relationship", "delete", "doc:1#reader@user:alice"]);
    let output = watch.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("TOUCH   doc:1#reader@user:alice  at "),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("DELETE  doc:1#reader@user:alice  at "),
        "{stdout}"
    );
}

#[test]
fn contexts_supply_the_connection_and_flags_override_them() {
    let server = Server::start();
    let context = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .env("XDG_CONFIG_HOME", server.config.path())
            .env_remove("TESSERA_ENDPOINT")
            .env_remove("TESSERA_TOKEN")
            .env_remove("TESSERA_CONTEXT")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr(&output),
        )
    };
    let (code, out, _) = context(&[
        "context",
        "set",
        "local",
        "--endpoint",
        &server.address,
        "--token",
        KEY,
        "--insecure",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(out.trim(), "saved context `local` (now current)");
    context(&[
        "context",
        "set",
        "other",
        "--endpoint",
        "127.0.0.1:1",
        "--token",
        "x",
    ]);
    let (_, list, _) = context(&["context", "list"]);
    assert!(list.contains("*        other  127.0.0.1:1"), "{list}");
    assert!(!list.contains(KEY), "{list}");
    let (code, _, _) = context(&["context", "use", "local"]);
    assert_eq!(code, Some(0));
    let config = fs::read_to_string(server.config.path().join("tessera/contexts.json")).unwrap();
    assert!(config.contains("\"current\": \"local\""), "{config}");

    // No flags: the current context connects, without TLS, with its token.
    let (code, _, err) = context(&["schema", "read"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("the server has no schema yet"), "{err}");
    // A flag beats the context.
    let (code, _, err) = context(&[
        "permission",
        "check",
        "doc:1",
        "view",
        "user:a",
        "--token",
        "wrong",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("Unauthenticated"), "{err}");
    let (code, _, err) = context(&["context", "use", "missing"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("tessera context list"), "{err}");
    let (code, _, _) = context(&["context", "remove", "other"]);
    assert_eq!(code, Some(0));
    let (_, json, _) = context(&["context", "list", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["token"], "<redacted>");
}

fn write_relationships(file: &Path, count: usize) -> Vec<String> {
    let lines: Vec<String> = (0..count)
        .map(|i| match i % 3 {
            0 => format!("doc:d{i}#reader@user:u{}", i % 997),
            1 => format!("doc:d{i} writer user:u{}", i % 991),
            _ => format!("doc:d{}#reader@group:g{}#member", i / 7, i % 101),
        })
        .collect();
    let mut text = String::from("# generated relationships\n\n");
    for line in &lines {
        text.push_str(line);
        text.push('\n');
    }
    fs::write(file, text).unwrap();
    let mut canonical: Vec<String> = lines
        .iter()
        .map(|line| {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                [resource, relation, subject] => format!("{resource}#{relation}@{subject}"),
                _ => line.clone(),
            }
        })
        .collect();
    canonical.sort_unstable();
    canonical.dedup();
    canonical
}

fn exported(server: &Server, dir: &Path) -> Vec<String> {
    let file = path(dir, "export.txt");
    let output = server.run(&["export", "--output", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        stderr(&output).starts_with("exported: "),
        "{}",
        describe(&output)
    );
    let mut lines: Vec<String> = fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort_unstable();
    lines
}

fn round_trip(count: usize) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start().with_schema(dir.path());
    let file = path(dir.path(), "relationships.txt");
    let expected = write_relationships(&file, count);
    let started = Instant::now();
    let imported = server.run(&["import", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", describe(&imported));
    let import_time = started.elapsed();
    assert!(
        String::from_utf8_lossy(&imported.stdout)
            .starts_with(&format!("imported {} relationship(s)", expected.len()))
    );
    assert!(!path(dir.path(), "relationships.txt.tessera-progress").exists());
    let started = Instant::now();
    let actual = exported(&server, dir.path());
    let export_time = started.elapsed();
    assert_eq!(actual.len(), expected.len());
    assert!(actual == expected, "the export differs from the import");
    eprintln!("{count} relationships: import {import_time:?}, export {export_time:?}");
}

/// The issue's round trip at full size: about 50 s in a debug build on two cores.
#[test]
fn import_then_export_round_trips_a_million_relationships() {
    round_trip(1_000_000);
}

#[test]
fn an_interrupted_import_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start().with_schema(dir.path());
    let file = path(dir.path(), "relationships.txt");
    let expected = write_relationships(&file, 25_000);
    // Line 15003 (two header lines) is relationship 15001: break it.
    let text = fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let good = lines[15_002].to_owned();
    lines[15_002] = "doc:broken#reader@";
    fs::write(&file, lines.join("\n") + "\n").unwrap();

    let args = ["import", file.to_str().unwrap(), "--batch-size", "4000"];
    let failed = server.run(&args);
    assert_eq!(failed.status.code(), Some(1), "{}", describe(&failed));
    let message = stderr(&failed);
    assert!(
        message.contains("relationships.txt: line 15003"),
        "{message}"
    );
    assert!(
        message.contains("everything up to line 15002 is committed"),
        "{message}"
    );
    assert!(
        message.contains("run the same command again to resume"),
        "{message}"
    );
    let sidecar = path(dir.path(), "relationships.txt.tessera-progress");
    let saved: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sidecar).unwrap()).unwrap();
    assert_eq!(saved["committed_through_line"], 15_002);
    assert_eq!(exported(&server, dir.path()).len(), 15_000);

    lines[15_002] = &good;
    fs::write(&file, lines.join("\n") + "\n").unwrap();
    let resumed = server.run(&args);
    assert!(resumed.status.success(), "{}", describe(&resumed));
    assert!(
        stderr(&resumed).starts_with("resuming after line 15002"),
        "{}",
        describe(&resumed)
    );
    assert!(
        String::from_utf8_lossy(&resumed.stdout)
            .starts_with("imported 10000 relationship(s) (15000 skipped")
    );
    assert!(!sidecar.exists());
    assert!(exported(&server, dir.path()) == expected);

    // Progress lost after a commit: the rerun meets existing relationships and touches them.
    let again = server.run(&["import", file.to_str().unwrap(), "--resume-from", "20002"]);
    assert!(again.status.success(), "{}", describe(&again));
    assert!(exported(&server, dir.path()) == expected);
}

#[test]
fn a_validation_file_imports_with_its_schema_and_exports_back_as_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start();
    let yaml = format!(
        "schema: |-\n{}\nrelationships: |-\n  doc:1#reader@user:alice\n  doc:1#writer@user:bob\n  group:eng#member@user:carol\n",
        SCHEMA
            .lines()
            .map(|line| format!("  {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let file = path(dir.path(), "data.yaml");
    fs::write(&file, yaml).unwrap();
    let imported = server.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(imported.trim(), "imported 3 relationship(s)");
    let exported = server.ok(&["export", "--format", "yaml"]);
    assert!(exported.starts_with("schema: |-\n  "), "{exported}");
    assert!(exported.contains("relationships: |-\n"), "{exported}");
    assert!(
        exported.contains("\n  doc:1#writer@user:bob\n"),
        "{exported}"
    );

    // The exported file loads into another server.
    let copy = path(dir.path(), "copy.yaml");
    fs::write(&copy, &exported).unwrap();
    let other = Server::start();
    assert_eq!(
        other.ok(&["import", copy.to_str().unwrap()]).trim(),
        "imported 3 relationship(s)"
    );
    assert_eq!(other.ok(&["export", "--json"]).lines().count(), 3);
}

#[test]
fn every_command_has_examples_in_its_help() {
    let commands: &[&[&str]] = &[
        &["schema"],
        &["schema", "check"],
        &["schema", "format"],
        &["schema", "read"],
        &["schema", "write"],
        &["schema", "diff"],
        &["context"],
        &["context", "set"],
        &["context", "use"],
        &["context", "list"],
        &["context", "remove"],
        &["relationship"],
        &["relationship", "create"],
        &["relationship", "touch"],
        &["relationship", "delete"],
        &["relationship", "read"],
        &["relationship", "bulk-delete"],
        &["permission"],
        &["permission", "check"],
        &["permission", "expand"],
        &["permission", "lookup-resources"],
        &["permission", "lookup-subjects"],
        &["import"],
        &["export"],
        &["watch"],
    ];
    for command in commands {
        let output = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(*command)
            .arg("--help")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{command:?}: {}",
            describe(&output)
        );
        let help = String::from_utf8(output.stdout).unwrap();
        assert!(
            help.contains("Examples:\n  tessera "),
            "{command:?} has no examples:\n{help}"
        );
    }
}
