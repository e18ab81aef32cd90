import Model

/// Process-wide settings every command needs before it starts.
public enum Runtime {
    /// Relaunches with passive OpenMP waits when needed (busy-waiting threads would starve a shared machine) and gives
    /// libtorch its thread count (`TUNESCORE_THREADS`, else every core).
    public static func prepare() {
        TorchRuntime.relaunchWithPassiveOpenMPIfNeeded()
        TorchRuntime.configureThreads()
    }
}
