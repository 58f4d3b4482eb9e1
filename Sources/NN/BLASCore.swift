import CBLAS
import Foundation

/// Which kernels OpenBLAS runs. It picks them by CPU model at load time, and a model newer than its release
/// (Debian 12's 0.3.21 on a Sapphire or Emerald Rapids Xeon), or one a virtual machine hides, falls back to
/// the generic Prescott kernels: 18 GFLOP/s for a 2048^3 sgemm on one core where the SkylakeX kernels reach
/// 155 (measured on an Emerald Rapids VM). `OPENBLAS_CORETYPE` names the kernels instead; `lam` sets it
/// and starts itself again when `suggestion` says so.
public enum BLASCore {
  /// The kernels OpenBLAS chose, e.g. "SkylakeX", "Haswell", "Zen", "Prescott".
  public static var name: String { String(cString: openblas_get_corename()) }

  /// The CPU feature flags the kernel reports (the `flags` line of /proc/cpuinfo; empty elsewhere). The kernel
  /// lists AVX and AVX-512 only when it saves their registers, so a listed flag is usable.
  public static var cpuFlags: Set<String> {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    return Set(line.split(separator: " ").map(String.init))
  }

  /// OpenBLAS's generic kernels, which it uses for a CPU it does not recognize (and, rightly, for old ones).
  static let generic: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Sandybridge", "Barcelona"]

  /// The `OPENBLAS_CORETYPE` whose kernels this CPU runs when OpenBLAS chose generic ones for it: "SkylakeX"
  /// with AVX-512 (F, CD, DQ, BW, VL), "Haswell" with AVX2 and FMA; nil when OpenBLAS's choice stands.
  /// The flags are read only for a generic core, so a usual start reads no /proc/cpuinfo.
  public static func suggestion(core: String, cpuFlags: @autoclosure () -> Set<String>) -> String? {
    guard generic.contains(core) else { return nil }
    let flags = cpuFlags()
    if ["avx512f", "avx512cd", "avx512dq", "avx512bw", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
    if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
    return nil
  }
}
