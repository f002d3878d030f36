//! The reactor check: no netstack thread in a program that never uses the async
//! mode.

use super::*;

/// Options of the hidden `async-reactor-child` subcommand.
#[derive(clap::Args, Debug, Clone)]
pub struct ReactorChildArgs {
    /// Read and write timeout of the synchronous sockets, in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout_secs: u64,
}

pub(super) fn reactor_check(args: &Args) -> BenchResult<Check> {
    let deadline = Instant::now() + args.case_timeout();
    let mut child = ChildProcess::spawn(
        "reactor child",
        &[
            "async-reactor-child".to_string(),
            format!("--timeout-secs={}", args.common.timeout_secs),
        ],
    )?;
    let words = child.expect("reactor-threads", deadline)?;
    child.finish(deadline)?;
    let before: u64 = word(&words, 0)?;
    let after: u64 = word(&words, 1)?;
    let threads_before: u64 = word(&words, 2)?;
    let threads_after: u64 = word(&words, 3)?;
    Ok(Check {
        name: format!(
            "threads named `{}` after sync-only socket traffic / after one async call \
             (fresh process; expected 0 / 1)",
            sockets::REACTOR_THREAD_NAME
        ),
        outcome: format!(
            "{before} / {after} (all threads in the process: {threads_before} / {threads_after})"
        ),
        passed: before == 0 && after == 1,
        command: args.command(Case::Reactor),
    })
}

/// The reactor check's process: sync traffic, count, one async call, count.
pub fn reactor_child(args: &ReactorChildArgs) -> BenchResult<()> {
    let timeout = Duration::from_secs(args.timeout_secs);
    // Synchronous traffic: 1,000 ping-pongs on a loopback connection.
    let (client, server) = crate::sockets_cases::netstack_pair(true, timeout)?;
    crate::sockets_cases::ping_pong(client, server, 1_000, 64)?;
    let before = reactor_threads()?;
    let started_before = sockets::reactor_started();
    let threads_before = fs::read_dir("/proc/self/task")?.count();

    // One asynchronous call.
    let (client, server) = crate::sockets_cases::netstack_pair(true, timeout)?;
    let sent = sockets::block_on(client.send_async(b"x"))?;
    let mut buf = [0u8; 8];
    let got = server.receive(&mut buf)?;
    if (sent, got, buf[0]) != (1, 1, b'x') {
        return Err(format!("async send: sent {sent}, received {got} bytes").into());
    }
    // The new thread names itself once it runs: look for up to a second.
    let mut after = reactor_threads()?;
    for _ in 0..200 {
        if after >= 1 {
            break;
        }
        thread::sleep(Duration::from_millis(5));
        after = reactor_threads()?;
    }
    let threads_after = fs::read_dir("/proc/self/task")?.count();
    if started_before || !sockets::reactor_started() {
        return Err(format!(
            "reactor_started(): {started_before} before the async call, {} after",
            sockets::reactor_started()
        )
        .into());
    }
    println!("reactor-threads {before} {after} {threads_before} {threads_after}");
    Ok(())
}

/// Threads of this process named like netstack's reactor (Linux keeps 15 bytes of a name).
pub(super) fn reactor_threads() -> BenchResult<usize> {
    let name = sockets::REACTOR_THREAD_NAME.as_bytes();
    let name = &name[..name.len().min(15)];
    let mut count = 0;
    for task in fs::read_dir("/proc/self/task")? {
        let comm = fs::read(task?.path().join("comm"))?;
        if comm.strip_suffix(b"\n").unwrap_or(&comm) == name {
            count += 1;
        }
    }
    Ok(count)
}
