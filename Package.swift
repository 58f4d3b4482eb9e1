// swift-tools-version:6.0
import PackageDescription

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
    .target(name: "NN", dependencies: ["Core", "CBLAS"]),
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
