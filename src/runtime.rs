//! Process-wide settings that make the networks and the coder faster on the CPU.
//!
//! Both are measured in `docs/codec.md`. Neither changes any result: the allocator's policy and
//! the way idle OpenMP threads wait do not touch the arithmetic. The library never applies them
//! on its own, because they belong to the whole process; the `flowbb` tool, the examples and
//! the benchmarks do, and an embedding application may.

/// Keeps large freed blocks in the heap instead of handing them back to the kernel.
///
/// glibc serves blocks above an adaptive threshold with fresh `mmap`s and returns them with
/// `munmap`, so every network batch pays page faults and zeroing for its activations (the
/// attention weights of a batch of 64 tiles alone are over 100 MB): on the project's 2-core
/// machine that was a third of the network's time at batch 64. Raising both the mmap and the
/// trim threshold to 1 GiB keeps those pages mapped between batches. The same effect comes from the environment variables
/// `MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824`.
///
/// Returns whether the settings were taken (always false off glibc).
pub fn tune_allocator() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes allocator parameters; it is safe to call at any time.
        unsafe {
            let mmap = libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
            let trim = libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
            mmap == 1 && trim == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Name and value of the environment variable that makes idle OpenMP threads sleep at once.
///
/// libtorch's OpenMP workers spin for a while after each parallel region by default. Between
/// two network calls the coder runs its own parallel loops on the same cores, and the spinning
/// threads take CPU time from them: with `OMP_WAIT_POLICY=PASSIVE` the coder at batch 64 ran
/// about a quarter faster on two cores, while very small batches (one tile) ran slower. OpenMP
/// reads the variable once, when libtorch is loaded, so it has to be in the environment before
/// the process starts; [`passive_omp_reexec`] arranges that for a command-line program.
pub const OMP_WAIT_POLICY: (&str, &str) = ("OMP_WAIT_POLICY", "PASSIVE");

/// Restarts the current program with [`OMP_WAIT_POLICY`] set, unless the variable is already
/// set (by the user, or by an earlier restart). Returns only when no restart happened; on
/// success the process image is replaced. For command-line programs, called first thing in
/// `main`.
#[cfg(unix)]
pub fn passive_omp_reexec() {
    use std::os::unix::process::CommandExt;
    let (name, value) = OMP_WAIT_POLICY;
    if std::env::var_os(name).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    // `exec` only returns on failure; then the program simply goes on as it is.
    let _ = std::process::Command::new(&exe)
        .arg0(arg0)
        .args(args)
        .env(name, value)
        .exec();
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn allocator_settings_are_taken() {
        assert!(super::tune_allocator());
    }
}
