// OpenBLAS picks its kernels by CPU model at load time; CPUs newer than the installed
// OpenBLAS (e.g. AMD Zen 4/5 under 0.3.21) fall back to the AVX2 "Haswell" kernels though
// they run AVX-512. This re-selects the AVX-512 kernels once, before the engine's first product:
// about twice the GEMM throughput on such CPUs. OPENBLAS_CORETYPE, when set, always wins.
import COpenBLAS
import Foundation

public enum BLASKernel {
    /// The kernel family in use after the one-time check ("SkylakeX", "Haswell", ...).
    public static var name: String { _ = selected; return String(cString: openblas_get_corename()) }

    /// Runs once (Swift's thread-safe static initialisation): every GEMM of the engine
    /// touches it first, so no product of the engine can run during the switch.
    static let selected: Bool = upgradeToAVX512IfSupported()

    private static let fallbacks: Set<String> = ["haswell", "zen"]
    private static let requiredFlags = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    private static func upgradeToAVX512IfSupported() -> Bool {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              fallbacks.contains(String(cString: openblas_get_corename()).lowercased()),
              cpuFlags().isSuperset(of: requiredFlags),
              let library = dlopen(nil, RTLD_NOW),
              let quit = dlsym(library, "gotoblas_dynamic_quit"),
              let initialise = dlsym(library, "gotoblas_dynamic_init") else { return false }
        // OpenBLAS's own re-initialisation: forget the table, then choose again from the
        // environment variable it documents for forcing a kernel family.
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0)
        typealias Entry = @convention(c) () -> Void
        unsafeBitCast(quit, to: Entry.self)()
        unsafeBitCast(initialise, to: Entry.self)()
        unsetenv("OPENBLAS_CORETYPE")
        return true
    }

    /// The CPU's feature flags from /proc/cpuinfo (empty where it does not exist).
    private static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
