import Foundation

/// The output of one `lam` process.
public struct LamResult {
  public let status: Int32
  public let stdout: String
  public let stderr: String
}

/// The built `lam` executable, beside the test bundle in the build folder.
public func lamExecutable() -> URL {
  var dir = Bundle.main.bundleURL
  // The test runner lives in <build>/<config>/; so does `lam`.
  for _ in 0..<4 {
    let candidate = dir.appendingPathComponent("lam")
    if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    dir = dir.deletingLastPathComponent()
  }
  return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("lam")
}

/// Runs `lam` with `arguments` (and `currentDirectory`, if given) and captures its output.
public func runLam(_ arguments: [String], currentDirectory: String? = nil) throws -> LamResult {
  let process = Process()
  process.executableURL = lamExecutable()
  process.arguments = arguments
  if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  // Read both pipes before waiting so a chatty process cannot fill a pipe and block.
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  let errData = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return LamResult(
    status: process.terminationStatus,
    stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}

/// A fresh empty folder under the system temporary directory.
public func makeTemporaryFolder(_ name: String = #function) -> String {
  let safe = name.filter { $0.isLetter || $0.isNumber }
  let path = NSTemporaryDirectory() + "lam-test-\(safe)-\(UUID().uuidString.prefix(8))"
  try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
