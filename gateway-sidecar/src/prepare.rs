//! `orch-pod prepare --runtime FILE -- COMMAND...`: prepare's fast path, in front of the runner's JVM (COMMAND,
//! started by runner-image/image/orch-prepare), in the `prepare` init container or, for a pod with a dependency
//! cache, in the agent container before the agent (`orch-pod supervise --prepare-with`).
//!
//! What prepare produces in the workspace (the bundle, its venv or node_modules, `.orch/command.json`) depends
//! only on the bundle's files, the variables listed in [`INPUT_VARIABLES`] and the runner image (FILE, written
//! when the image is built). This computes a SHA-256 of those inputs; when the workspace's marker
//! (`.orch/prepared.sha256`) holds the same digest, the workspace is what COMMAND would make, so the JVM is not
//! started at all. That is the case when the workspace outlives the pod (spec.dependencyCache, a claim): a
//! woken or rescheduled pod starts its agent in milliseconds instead of seconds. Otherwise the marker is removed,
//! COMMAND runs, and the marker is written only when it succeeded, so an interrupted prepare never looks done.
//!
//! Bundles whose content can change behind the same variables get no digest and always run COMMAND: a
//! bundle.url without sha256, a git ref that is not a commit id.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::status::{Status, StatusFile};
use crate::supervise::ResolvedCommand;

/// The variables whose values shape what prepare writes (the bundle's source, the entrypoint, the environment
/// that `.orch/command.json` records).
pub const INPUT_VARIABLES: [&str; 15] = [
    "ORCH_BUNDLE_KIND",
    "ORCH_BUNDLE_URL",
    "ORCH_BUNDLE_SHA256",
    "ORCH_GIT_REPOSITORY",
    "ORCH_GIT_REF",
    "ORCH_GIT_PATH",
    "ORCH_COMMAND",
    "ORCH_ARGS",
    "ORCH_WORKSPACE",
    "PORT",
    "ORCHAGENT_HTTP_PORT",
    "PATH",
    "HOME",
    "PYTHONUNBUFFERED",
    "ORCH_BUNDLE_SOURCE",
];

/// Hands the runner image's id to the JVM, whose dependency marker includes it (contract: prepare.env.runtime-id).
pub const RUNTIME_ID_VARIABLE: &str = "ORCH_RUNTIME_ID";

const USAGE: &str =
    "orch-pod prepare --runtime FILE -- COMMAND [ARG...] (the runner image's orch-prepare runs it)";

/// The marker of a prepared workspace.
pub fn marker_in(workspace: &Path) -> PathBuf {
    workspace.join(".orch").join("prepared.sha256")
}

/// `args` are those after `prepare`.
pub fn main(args: &[String]) -> i32 {
    let (runtime, command) = match args {
        [flag, runtime, separator, command @ ..]
            if flag == "--runtime" && separator == "--" && !command.is_empty() =>
        {
            (Path::new(runtime), command)
        }
        _ => {
            eprintln!("{USAGE}");
            return 64;
        }
    };
    let started = Instant::now();
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let workspace =
        PathBuf::from(env("ORCH_WORKSPACE").unwrap_or_else(|| "/orch/workspace".into()));
    let status_dir = PathBuf::from(env("ORCH_STATUS_DIR").unwrap_or_else(|| "/orch/status".into()));
    let runtime_id = fs::read_to_string(runtime).map_err(|e| {
        format!(
            "cannot read the runtime id {} ({e}); the runner image is incomplete",
            runtime.display()
        )
    });
    let digest = match runtime_id
        .as_deref()
        .map_err(String::clone)
        .and_then(|id| inputs_digest(env, id))
    {
        Ok(digest) => digest,
        Err(reason) => {
            println!("orch-prepare: no fast path ({reason})");
            None
        }
    };
    if let Some(digest) = &digest
        && is_current(&workspace, digest)
    {
        if let Err(e) = StatusFile::in_directory(&status_dir).write(&Status::preparing(
            "bundle ready (workspace current, nothing to install); starting the agent",
        )) {
            eprintln!("orch-prepare: {e}");
            return 2;
        }
        println!(
            "orch-prepare: fast path: the workspace is current for this bundle and runtime (sha256 {}), nothing \
                 to do ({} ms)",
            &digest[..12],
            started.elapsed().as_millis()
        );
        return 0;
    }
    let marker = marker_in(&workspace);
    if let Err(e) = remove_if_present(&marker) {
        eprintln!(
            "orch-prepare: cannot remove {} ({e}); the workspace volume must be writable",
            marker.display()
        );
        return 2;
    }
    let code = run(command, runtime_id.as_deref().unwrap_or_default().trim());
    if code == 0
        && let Some(digest) = digest
        && let Err(e) = write_marker(&marker, &digest)
    {
        // The workspace is prepared; only the next pod's fast path is lost.
        eprintln!("orch-prepare: cannot write {} ({e})", marker.display());
    }
    code
}

/// Whether the workspace was prepared from these inputs and still holds what the agent container reads.
fn is_current(workspace: &Path, digest: &str) -> bool {
    fs::read_to_string(marker_in(workspace)).is_ok_and(|marker| marker.trim() == digest)
        && ResolvedCommand::file_in(workspace).is_file()
}

/// The digest of everything prepare's output depends on, or None when the bundle may change behind the same
/// inputs; an error when an input cannot be read.
pub fn inputs_digest(
    env: impl Fn(&str) -> Option<String>,
    runtime_id: &str,
) -> Result<Option<String>, String> {
    let kind = env("ORCH_BUNDLE_KIND").unwrap_or_else(|| "configmap".into());
    let mut sha = Sha256::new();
    let mut field = |name: &str, value: &[u8]| {
        sha.update(name.as_bytes());
        sha.update([0]);
        sha.update((value.len() as u64).to_be_bytes());
        sha.update(value);
    };
    field("runtime", runtime_id.as_bytes());
    for name in INPUT_VARIABLES {
        field(name, env(name).unwrap_or_default().as_bytes());
    }
    match kind.as_str() {
        "configmap" => {
            let source = PathBuf::from(
                env("ORCH_BUNDLE_SOURCE").unwrap_or_else(|| "/orch/bundle-source".into()),
            );
            for (name, content) in configmap_files(&source)? {
                field(&format!("file:{name}"), &content);
            }
        }
        "url" if env("ORCH_BUNDLE_SHA256").is_some() => {}
        "url" => {
            return Ok(None);
        }
        "git" if env("ORCH_GIT_REF").is_some_and(|r| is_commit_id(&r)) => {}
        _ => return Ok(None),
    }
    Ok(Some(format!("{:x}", sha.finalize())))
}

/// A mounted ConfigMap's keys (files; Kubernetes' `..data` links and directories are not keys), by name.
fn configmap_files(source: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let unreadable = |e: io::Error| {
        format!(
            "cannot read the ConfigMap bundle at {} ({e})",
            source.display()
        )
    };
    let mut files = Vec::new();
    for entry in fs::read_dir(source).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with("..") || !path.is_file() {
            continue;
        }
        let mut content = Vec::new();
        fs::File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut content))
            .map_err(unreadable)?;
        files.push((name, content));
    }
    files.sort();
    Ok(files)
}

fn is_commit_id(reference: &str) -> bool {
    reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

fn run(command: &[String], runtime_id: &str) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match Command::new(&command[0])
        .args(&command[1..])
        .env(RUNTIME_ID_VARIABLE, runtime_id)
        .status()
    {
        Ok(status) => status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
        Err(e) => {
            eprintln!(
                "orch-prepare: cannot start {} ({e}); the runner image is incomplete",
                command[0]
            );
            2
        }
    }
}

fn remove_if_present(file: &Path) -> io::Result<()> {
    match fs::remove_file(file) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn write_marker(marker: &Path, digest: &str) -> io::Result<()> {
    let temporary = marker.with_extension("sha256.tmp");
    fs::write(&temporary, format!("{digest}\n"))?;
    fs::rename(&temporary, marker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("orch-pod-prepare-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(dir.join("source")).unwrap();
            fs::write(dir.join("source/main.py"), "print('hi')\n").unwrap();
            fs::write(dir.join("source/requirements.txt"), "requests==2.32.3\n").unwrap();
            Scratch(dir)
        }

        fn env(&self, extra: &[(&str, &str)]) -> HashMap<String, String> {
            let mut env: HashMap<String, String> = [
                ("ORCH_BUNDLE_KIND", "configmap"),
                (
                    "ORCH_BUNDLE_SOURCE",
                    self.0.join("source").to_str().unwrap(),
                ),
                ("PORT", "3000"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            for (k, v) in extra {
                env.insert(k.to_string(), v.to_string());
            }
            env
        }

        fn digest(&self, env: &HashMap<String, String>) -> Option<String> {
            self.digest_in(env, "runner 1")
        }

        fn digest_in(&self, env: &HashMap<String, String>, runtime_id: &str) -> Option<String> {
            inputs_digest(|name| env.get(name).cloned(), runtime_id).unwrap()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_digest_follows_every_input_and_nothing_else() {
        let scratch = Scratch::new("digest");
        let base = scratch.digest(&scratch.env(&[])).unwrap();
        assert_eq!(scratch.digest(&scratch.env(&[])).unwrap(), base, "stable");
        assert_eq!(
            scratch
                .digest(&scratch.env(&[("HOSTNAME", "other-pod"), ("GREETING", "hi")]))
                .unwrap(),
            base,
            "the pod's name and the agent's own variables do not change what prepare writes"
        );
        assert_ne!(
            scratch.digest(&scratch.env(&[("PORT", "4000")])).unwrap(),
            base
        );
        assert_ne!(
            scratch
                .digest(&scratch.env(&[("ORCH_COMMAND", "[\"python\",\"x.py\"]")]))
                .unwrap(),
            base
        );
        fs::write(
            scratch.0.join("source/requirements.txt"),
            "requests==2.32.4\n",
        )
        .unwrap();
        let new_requirements = scratch.digest(&scratch.env(&[])).unwrap();
        assert_ne!(new_requirements, base, "a dependency file changed");
        assert_ne!(
            scratch.digest_in(&scratch.env(&[]), "runner 2").unwrap(),
            new_requirements,
            "a new runner image"
        );
    }

    #[test]
    fn kubernetes_data_links_are_not_bundle_files() {
        let scratch = Scratch::new("data-links");
        let base = scratch.digest(&scratch.env(&[])).unwrap();
        fs::create_dir(scratch.0.join("source/..2026_11_30")).unwrap();
        fs::write(scratch.0.join("source/..2026_11_30/x"), "y").unwrap();
        assert_eq!(scratch.digest(&scratch.env(&[])).unwrap(), base);
    }

    #[test]
    fn bundles_that_can_change_behind_the_same_inputs_get_no_digest() {
        let scratch = Scratch::new("moving");
        let url = scratch.env(&[
            ("ORCH_BUNDLE_KIND", "url"),
            ("ORCH_BUNDLE_URL", "https://example.com/b.tar.gz"),
        ]);
        assert_eq!(scratch.digest(&url), None);
        let mut pinned = url.clone();
        pinned.insert("ORCH_BUNDLE_SHA256".into(), "a".repeat(64));
        assert!(scratch.digest(&pinned).is_some());
        let branch = scratch.env(&[("ORCH_BUNDLE_KIND", "git"), ("ORCH_GIT_REF", "main")]);
        assert_eq!(scratch.digest(&branch), None);
        let commit = scratch.env(&[
            ("ORCH_BUNDLE_KIND", "git"),
            ("ORCH_GIT_REF", &"0123456789abcdef".repeat(3)[..40]),
        ]);
        assert!(scratch.digest(&commit).is_some());
    }

    /// A variable the operator adds to the contract must be weighed here: either it shapes the prepared
    /// workspace (then it belongs to the digest) or it is listed as one that does not.
    #[test]
    fn every_contract_variable_is_in_the_digest_or_known_not_to_shape_the_workspace() {
        const NOT_SHAPING: [&str; 3] = ["ORCH_AGENT", "ORCH_SECRET_NAMES", "ORCH_STATUS_DIR"];
        let contract = include_str!("../../contract/agent-pod.properties");
        for line in contract.lines().filter(|l| l.starts_with("env.")) {
            let name = line.split_once('=').unwrap().1.trim();
            assert!(
                INPUT_VARIABLES.contains(&name) || NOT_SHAPING.contains(&name),
                "{name} is in the contract but neither in INPUT_VARIABLES nor in NOT_SHAPING"
            );
        }
    }

    #[test]
    fn names_and_paths_are_the_contracts() {
        let contract = include_str!("../../contract/agent-pod.properties");
        let value = |key: &str| {
            contract
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .unwrap_or_else(|| panic!("contract/agent-pod.properties has no {key}"))
        };
        assert_eq!(RUNTIME_ID_VARIABLE, value("prepare.env.runtime-id"));
        assert_eq!(
            crate::supervise::PREPARE_OPTION,
            value("supervise.prepare-option")
        );
        assert_eq!(
            marker_in(Path::new("/w")),
            Path::new("/w").join(value("prepare.marker"))
        );
    }

    #[test]
    fn the_workspace_is_current_only_with_the_same_marker_and_a_resolved_command() {
        let scratch = Scratch::new("current");
        let workspace = scratch.0.join("workspace");
        fs::create_dir_all(workspace.join(".orch")).unwrap();
        write_marker(&marker_in(&workspace), "abc").unwrap();
        assert!(!is_current(&workspace, "abc"), "no command.json yet");
        fs::write(ResolvedCommand::file_in(&workspace), "{}").unwrap();
        assert!(is_current(&workspace, "abc"));
        assert!(!is_current(&workspace, "abd"));
        assert!(!workspace.join(".orch/prepared.sha256.tmp").exists());
    }
}
