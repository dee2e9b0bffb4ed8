// oneDNN: the ISA it dispatches to, and one real product at each precision of the backbone
// (fp32, bf16, int8, as the backbone runs them) against a float64 reference.
import Tensor

public enum OneDNNCheck {
    public static func run() -> LibraryCheck {
        var parts = ["isa \(PrecisionCheck.isa)"]
        var passed = true
        for precision in [Precision.fp32, .bf16, .int8] {
            do {
                let check = try PrecisionCheck.run(precision)
                passed = passed && check.passed
                parts.append("\(precision) \(check.implementation) max rel err \(String(format: "%.1e", check.relativeError))"
                             + (check.passed ? "" : " (bound \(check.bound))"))
            } catch {
                // Only fp32 must run everywhere; auto falls back to it without bf16.
                passed = passed && precision != .fp32
                parts.append("\(precision) unavailable (\(error))")
            }
        }
        parts.append("auto = \(Precision.auto.resolved)")
        return LibraryCheck(library: "onednn", version: PrecisionCheck.version, passed: passed,
                            detail: parts.joined(separator: "; "))
    }
}
