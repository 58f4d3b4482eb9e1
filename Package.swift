// swift-tools-version:6.0
import Foundation
import PackageDescription

// The hot loops (Adam, ReLU, gradient sums) are Swift SIMD code and the convolutions' register tile is C;
// built for baseline x86-64 they use 4-wide SSE. On a build machine with AVX2 and FMA they are compiled
// for it (Haswell and later, every AMD EPYC): Adam's packed square roots and divisions then run 8 wide, a
// third faster, and the convolution tile uses 8-wide fused multiply-adds. A binary built so runs only on
// such CPUs.
let buildMachineHasAVX2: Bool = {
  #if arch(x86_64) && os(Linux)
  let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
  let flags = Set(cpu.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? [])
  return flags.contains("avx2") && flags.contains("fma")
  #else
  return false
  #endif
}()
let hotLoopFlags: [SwiftSetting] = buildMachineHasAVX2 ? [.unsafeFlags(["-target-cpu", "haswell"])] : []
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3"] + (buildMachineHasAVX2 ? ["-mavx2", "-mfma"] : []))]

let package = Package(
  name: "lam",

  // MARK: - Products
  products: [
    .executable(name: "lam", targets: ["lam"]),
  ],

  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],

  targets: [
    // MARK: - System libraries (no Swift API; see each folder's README)
    .systemLibrary(
      name: "CBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CPNG", pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"])]),

    // MARK: - Libraries
    .target(name: "HashKernels", exclude: ["README.md"]),
    .target(name: "Core", dependencies: ["HashKernels"]),
    .target(name: "ConvKernels", exclude: ["README.md"], cSettings: kernelFlags),
    .target(name: "NN", dependencies: ["Core", "CBLAS", "ConvKernels"], swiftSettings: hotLoopFlags),
    .target(name: "Imaging", dependencies: ["Core", "CPNG"]),
    .target(name: "GridWorld", dependencies: ["Core"]),
    .target(name: "LinearLAM", dependencies: ["Core", "NN", "Imaging"]),
    .target(name: "LAM", dependencies: ["Core", "NN"]),
    .target(name: "Training", dependencies: ["Core", "NN", "GridWorld", "LAM"]),
    .target(name: "Probing", dependencies: ["Core", "NN", "GridWorld", "LAM", "Training"]),
    .target(name: "Reports", dependencies: ["Core", "NN", "GridWorld", "Imaging", "LAM", "Training", "Probing"]),
    .target(name: "Sweeps", dependencies: ["Core", "GridWorld", "Imaging", "LAM", "Training", "Probing", "Reports"]),
    .target(name: "Bench", dependencies: ["Core", "NN", "GridWorld", "LAM", "Training"]),

    // MARK: - The command-line tool
    .executableTarget(
      name: "lam",
      dependencies: [
        "Core", "NN", "Imaging", "GridWorld", "LAM", "Training", "Probing", "Reports", "Sweeps", "Bench", "LinearLAM",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Tests
    .target(name: "TestSupport", dependencies: ["Core", "GridWorld"], path: "Tests/TestSupport", exclude: ["Fixtures"]),
    .testTarget(name: "CoreTests", dependencies: ["Core", "TestSupport"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "ConvKernels", "Core", "TestSupport"]),
    .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Core", "TestSupport"]),
    .testTarget(name: "GridWorldTests", dependencies: ["GridWorld", "Core", "TestSupport"]),
    .testTarget(name: "LinearLAMTests", dependencies: ["LinearLAM", "NN", "Core", "TestSupport"]),
    .testTarget(name: "LAMTests", dependencies: ["LAM", "NN", "Core", "TestSupport"]),
    .testTarget(name: "TrainingTests", dependencies: ["Training", "LAM", "NN", "GridWorld", "Core", "TestSupport"]),
    .testTarget(name: "ProbingTests", dependencies: ["Probing", "Training", "NN", "LAM", "GridWorld", "Core", "TestSupport"]),
    .testTarget(name: "ReportsTests", dependencies: ["Reports", "LAM", "GridWorld", "Imaging", "Core", "Probing", "TestSupport"]),
    .testTarget(name: "SweepsTests", dependencies: ["Sweeps", "Imaging", "Probing", "Reports", "Training", "LAM", "Core", "TestSupport"]),
    .testTarget(name: "BenchTests", dependencies: ["Bench", "LAM", "NN", "Core", "TestSupport"]),
    .testTarget(name: "CLITests", dependencies: ["lam", "TestSupport"]),
  ],
  swiftLanguageModes: [.v5]
)
