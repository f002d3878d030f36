//! External peer programs (redis-server, dnsmasq, pyftpdlib, openssl, …)
//! started for a test and never outliving it.
//!
//! A [`Peer`] is killed and reaped when dropped. It also dies with the test
//! process however that ends, SIGKILL included: it runs under util-linux's
//! `setpriv --pdeathsig KILL`, so the kernel kills it when its parent goes.
//! The kernel's "parent" is the *thread* that spawned it, so every peer is
//! spawned by one spawner thread that lives as long as the process; a peer
//! kept in a `static` and shared by several tests survives the end of the
//! test thread that started it.
//!
//! Its stdout and stderr are collected (see [`Peer::output`]). Every wait
//! for a peer has a deadline and fails the test with a message naming the
//! peer and how to install it. A program that is not installed fails the
//! test at [`PeerCommand::spawn`]; nothing is skipped.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// How long a peer may take to become ready unless told otherwise.
pub const READY_WITHIN: Duration = Duration::from_secs(15);

/// How often [`Peer::wait_ready`] asks again.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// A peer program to start: the program, its arguments, how to install it.
#[derive(Debug, Clone)]
pub struct PeerCommand {
    name: String,
    program: OsString,
    args: Vec<OsString>,
    install: String,
    ready_within: Duration,
    stdin: bool,
}

impl PeerCommand {
    /// A peer running `program` (a name looked up on `PATH`, or a path).
    /// Its name in messages is the program's file name.
    pub fn new(program: impl AsRef<OsStr>) -> PeerCommand {
        let program = program.as_ref().to_os_string();
        let name = Path::new(&program)
            .file_name()
            .unwrap_or(&program)
            .to_string_lossy()
            .into_owned();
        PeerCommand {
            name,
            program,
            args: Vec::new(),
            install: String::new(),
            ready_within: READY_WITHIN,
            stdin: false,
        }
    }

    /// The peer's name in messages (e.g. `pyftpdlib` for a python3 script).
    pub fn name(mut self, name: &str) -> PeerCommand {
        self.name = name.to_string();
        self
    }

    /// How to install what the peer needs, for the messages of failed
    /// starts and waits (e.g. `apt-get install -y redis-server`).
    pub fn install(mut self, how: &str) -> PeerCommand {
        self.install = how.to_string();
        self
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> PeerCommand {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> PeerCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// The deadline of each wait for the peer (default [`READY_WITHIN`]).
    pub fn ready_within(mut self, deadline: Duration) -> PeerCommand {
        self.ready_within = deadline;
        self
    }

    /// Gives the peer a stdin pipe (see [`Peer::take_stdin`]); without
    /// this its stdin is empty.
    pub fn piped_stdin(mut self) -> PeerCommand {
        self.stdin = true;
        self
    }

    /// Starts the peer; fails the test if the program or `setpriv` is
    /// missing or cannot be started.
    pub fn spawn(self) -> Peer {
        let program = find_program(&self.program).unwrap_or_else(|| {
            panic!(
                "{}: the program `{}` is not installed (not found on PATH). {}",
                self.name,
                self.program.to_string_lossy(),
                self.install_hint()
            )
        });
        let setpriv = setpriv();
        let mut command = Command::new(&setpriv);
        command
            .args(["--pdeathsig", "KILL", "--"])
            .arg(&program)
            .args(&self.args)
            .stdin(if self.stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawn_from_the_spawner_thread(command).unwrap_or_else(|e| {
            panic!(
                "{}: could not start `setpriv --pdeathsig KILL -- {}`: {e}. {}",
                self.name,
                program.display(),
                self.install_hint()
            )
        });
        // Until setpriv has set the signal and run the program, the peer
        // would outlive a test process killed now.
        wait_until_setpriv_is_done(&child, &setpriv, &self);
        let output = Arc::new(Output::default());
        let pipes: [Option<Box<dyn Read + Send>>; 2] = [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ];
        for pipe in pipes.into_iter().flatten() {
            output.state.lock().unwrap().open_pipes += 1;
            let output = Arc::clone(&output);
            thread::spawn(move || output.collect(pipe));
        }
        Peer {
            command: self,
            child,
            output,
        }
    }

    fn install_hint(&self) -> String {
        if self.install.is_empty() {
            "Install it and run the tests again.".to_string()
        } else {
            format!("Install it with `{}` (.ci/run does).", self.install)
        }
    }
}

/// The Python 3 interpreter itself (`sys.executable` of the `python3` on
/// `PATH`), found once per process. Peers written in Python run it
/// directly: a `python3` on `PATH` may be a launcher (pyenv's shim is one)
/// that runs the interpreter as its child, which then escapes both the kill
/// on drop and the parent-death signal.
pub fn python3() -> &'static Path {
    static PYTHON3: OnceLock<PathBuf> = OnceLock::new();
    PYTHON3.get_or_init(|| {
        let mut peer = PeerCommand::new("python3")
            .install("apt-get install -y python3")
            .args(["-c", "import sys; print('executable:', sys.executable)"])
            .spawn();
        let executable = peer.wait_for("the interpreter's path", |line| {
            line.strip_prefix("executable: ").map(PathBuf::from)
        });
        assert!(
            executable.is_file(),
            "python3 reports {} as its interpreter, which is not a file",
            executable.display()
        );
        executable
    })
}

/// What a probe of [`Peer::wait_ready`] found.
#[derive(Debug)]
pub enum Readiness<T> {
    /// The peer is ready; the wait returns this value.
    Ready(T),
    /// Not yet (the reason is shown if the deadline passes).
    NotYet(String),
    /// It will never be ready (e.g. another server answers on its port);
    /// the wait returns this as its error.
    Failed(String),
}

/// A running peer program, killed and reaped on drop.
pub struct Peer {
    command: PeerCommand,
    child: Child,
    output: Arc<Output>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("name", &self.command.name)
            .field("pid", &self.child.id())
            .finish()
    }
}

impl Peer {
    /// The peer's process id (setpriv runs the program in its own process).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Everything the peer wrote so far to stdout and stderr.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.state.lock().unwrap().bytes).into_owned()
    }

    /// The peer's stdin; fails the test unless the command had
    /// [`PeerCommand::piped_stdin`] and the pipe was not taken before.
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.child
            .stdin
            .take()
            .unwrap_or_else(|| panic!("{}: no stdin pipe to take", self.command.name))
    }

    /// Waits until the output contains `needle` and returns the output.
    /// Fails the test if the peer closes its output without printing it,
    /// or at the deadline.
    pub fn wait_for_output(&mut self, needle: &str) -> String {
        self.wait_for_line(&format!("{needle:?} in its output"), |_| None::<()>, needle);
        self.output()
    }

    /// Waits for the first complete line of output that `parse` turns into
    /// a value (e.g. the port in a server's banner) and returns it. `what`
    /// says what is awaited, for the failure message. Fails the test if the
    /// peer closes its output first, or at the deadline.
    pub fn wait_for<T>(&mut self, what: &str, parse: impl FnMut(&str) -> Option<T>) -> T {
        self.wait_for_line(what, parse, "")
            .expect("a parsed line ends the wait")
    }

    /// The wait of [`Peer::wait_for`] and [`Peer::wait_for_output`]: ends
    /// with `Some` when a line parses, with `None` when `needle` (if not
    /// empty) is in the output.
    fn wait_for_line<T>(
        &mut self,
        what: &str,
        mut parse: impl FnMut(&str) -> Option<T>,
        needle: &str,
    ) -> Option<T> {
        let deadline = Instant::now() + self.command.ready_within;
        let mut state = self.output.state.lock().unwrap();
        loop {
            let text = String::from_utf8_lossy(&state.bytes);
            if !needle.is_empty() && text.contains(needle) {
                return None;
            }
            let complete = &text[..text.rfind('\n').map_or(0, |end| end + 1)];
            if let Some(found) = complete.lines().find_map(&mut parse) {
                return Some(found);
            }
            let now = Instant::now();
            if state.open_pipes == 0 || now >= deadline {
                let text = text.into_owned();
                drop(state);
                let ended = if now >= deadline {
                    format!("did not print it within {:?}", self.command.ready_within)
                } else {
                    format!("closed its output ({})", self.exit_status_within_a_moment())
                };
                panic!(
                    "{}: waited for {what}, but it {ended}. Output so far:\n{text}\n{}",
                    self.command.name,
                    self.command.install_hint()
                );
            }
            state = self
                .output
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// Asks `probe` (e.g. a connection and a PING) until it reports the
    /// peer ready, and returns its value. Returns an error (with the
    /// output) if the peer exits first or the probe reports
    /// [`Readiness::Failed`], so that the caller can try again, e.g. on
    /// another port. Fails the test at the deadline.
    pub fn wait_ready<T>(
        &mut self,
        what: &str,
        mut probe: impl FnMut() -> Readiness<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + self.command.ready_within;
        let mut last: String;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait on a peer") {
                return Err(format!(
                    "{} exited ({status}) before {what}. Output:\n{}",
                    self.command.name,
                    self.output()
                ));
            }
            match probe() {
                Readiness::Ready(value) => return Ok(value),
                Readiness::NotYet(why) => last = why,
                Readiness::Failed(why) => return Err(why),
            }
            if Instant::now() >= deadline {
                panic!(
                    "{}: not ready ({what}) within {:?}; last: {last}. Output so far:\n{}\n{}",
                    self.command.name,
                    self.command.ready_within,
                    self.output(),
                    self.command.install_hint()
                );
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Waits until the peer has closed its stdout and stderr (it exited, or
    /// closed them) and returns all it wrote: what a peer prints on its two
    /// pipes is read by two threads, so text on one may still be on its way
    /// when the other shows a later line. Fails the test at the deadline.
    pub fn wait_output_end(&mut self) -> String {
        let deadline = Instant::now() + self.command.ready_within;
        let mut state = self.output.state.lock().unwrap();
        while state.open_pipes > 0 {
            let now = Instant::now();
            if now >= deadline {
                drop(state);
                panic!(
                    "{} did not close its output within {:?}. Output so far:\n{}",
                    self.command.name,
                    self.command.ready_within,
                    self.output()
                );
            }
            state = self
                .output
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap()
                .0;
        }
        String::from_utf8_lossy(&state.bytes).into_owned()
    }

    /// Waits for the peer to exit by itself; fails the test at the deadline.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + self.command.ready_within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait on a peer") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {:?}. Output so far:\n{}",
                self.command.name,
                self.command.ready_within,
                self.output()
            );
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// The exit status, if the peer exits within a moment of closing its
    /// output (for messages).
    fn exit_status_within_a_moment(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return format!("exited: {status}"),
                Ok(None) if Instant::now() < deadline => thread::sleep(POLL_INTERVAL),
                Ok(None) => return "still running".to_string(),
                Err(e) => return format!("exit status unknown: {e}"),
            }
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A peer's collected output, and how many of its pipes are still open.
#[derive(Default)]
struct Output {
    state: Mutex<OutputState>,
    changed: Condvar,
}

#[derive(Default)]
struct OutputState {
    bytes: Vec<u8>,
    open_pipes: usize,
}

impl Output {
    /// Appends what `pipe` delivers until it closes.
    fn collect(&self, mut pipe: Box<dyn Read + Send>) {
        let mut buf = [0u8; 4096];
        loop {
            let n = pipe.read(&mut buf).unwrap_or(0);
            let mut state = self.state.lock().unwrap();
            if n == 0 {
                state.open_pipes -= 1;
                self.changed.notify_all();
                return;
            }
            state.bytes.extend_from_slice(&buf[..n]);
            self.changed.notify_all();
        }
    }
}

/// Waits until the child is no longer `setpriv` (it has set its
/// parent-death signal and run the program, or failed to), bounded.
fn wait_until_setpriv_is_done(child: &Child, setpriv: &Path, command: &PeerCommand) {
    let setpriv = std::fs::canonicalize(setpriv).unwrap_or_else(|_| setpriv.to_path_buf());
    let exe = PathBuf::from(format!("/proc/{}/exe", child.id()));
    let deadline = Instant::now() + command.ready_within;
    // An error reading the link: the process has ended (a failed exec).
    while std::fs::read_link(&exe).is_ok_and(|running| running == setpriv) {
        assert!(
            Instant::now() < deadline,
            "{}: setpriv did not run the program within {:?}",
            command.name,
            command.ready_within
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// `program` itself if it names a file, else the first match on `PATH`.
fn find_program(program: &OsStr) -> Option<PathBuf> {
    let path = Path::new(program);
    if path.components().count() > 1 {
        return path.is_file().then(|| path.to_path_buf());
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// util-linux's `setpriv`, which every peer runs under.
fn setpriv() -> PathBuf {
    find_program(OsStr::new("setpriv"))
        .or_else(|| {
            ["/usr/bin/setpriv", "/bin/setpriv"]
                .into_iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "setpriv is not installed: test peers run under `setpriv --pdeathsig KILL` so \
                 that they die with the test process. Install it with \
                 `apt-get install -y util-linux` (.ci/run does)."
            )
        })
}

type SpawnJob = (Command, Sender<io::Result<Child>>);

/// Spawns `command` from the one thread that spawns every peer and lives as
/// long as the process (the kernel's parent-death signal fires when the
/// spawning thread ends, not the process).
fn spawn_from_the_spawner_thread(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Sender<SpawnJob>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (jobs, next_job) = mpsc::channel::<SpawnJob>();
        thread::Builder::new()
            .name("peer-spawner".to_string())
            .spawn(move || {
                // Ends only when the sender (a static) is dropped: never.
                for (mut command, reply) in next_job {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("start the peer spawner thread");
        jobs
    });
    let (reply, spawned) = mpsc::channel();
    spawner
        .send((command, reply))
        .expect("the peer spawner thread is running");
    spawned
        .recv()
        .expect("the peer spawner thread answers every job")
}
