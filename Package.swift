// swift-tools-version:6.0
import Foundation
import PackageDescription

// The hot loops (Adam, ReLU, im2col, gradient sums) are Swift SIMD code; built for baseline x86-64 they use
// 4-wide SSE. On a build machine with AVX2 and FMA they are compiled for it (Haswell and later, every
// AMD EPYC): Adam's packed square roots and divisions then run 8 wide, a third faster. The numbers do not
// change, as Swift never fuses a multiply and an add. A binary built so runs only on such CPUs.
let hotLoopFlags: [SwiftSetting] = {
  #if arch(x86_64) && os(Linux)
  let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
  let flags = Set(cpu.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? [])
  if flags.contains("avx2") && flags.contains("fma") { return [.unsafeFlags(["-target-cpu", "haswell"])] }
  #endif
  return []
}()

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
    .target(name: "Core"),
    .target(name: "NN", dependencies: ["Core", "CBLAS"], swiftSettings: hotLoopFlags),
    .target(name: "Imaging", dependencies: ["Core", "CPNG"]),
    .target(name: "GridWorld", dependencies: ["Core"]),
    .target(name: "LinearLAM", dependencies: ["Core", "NN", "Imaging"]),
    .target(name: "LAM", dependencies: ["Core", "NN", "GridWorld", "Imaging"]),

    // MARK: - The command-line tool
    .executableTarget(
      name: "lam",
      dependencies: [
        "Core", "NN", "Imaging", "GridWorld", "LAM", "LinearLAM",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Tests
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "CoreTests", dependencies: ["Core", "TestSupport"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "Core", "TestSupport"]),
    .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Core", "TestSupport"]),
    .testTarget(name: "GridWorldTests", dependencies: ["GridWorld", "Core", "TestSupport"]),
    .testTarget(name: "LinearLAMTests", dependencies: ["LinearLAM", "NN", "Core", "TestSupport"]),
    .testTarget(name: "LAMTests", dependencies: ["LAM", "NN", "GridWorld", "Core", "TestSupport"]),
    .testTarget(name: "CLITests", dependencies: ["lam", "TestSupport"]),
  ],
  swiftLanguageModes: [.v5]
)
