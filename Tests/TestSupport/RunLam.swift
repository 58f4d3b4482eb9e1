import Foundation

/// The output of one `lam` (or other) process.
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
  try runProgram(lamExecutable().path, arguments, currentDirectory: currentDirectory)
}

/// Runs the program at `path` with `arguments` (and `currentDirectory`, if given) and captures its output.
public func runProgram(_ path: String, _ arguments: [String], currentDirectory: String? = nil) throws -> LamResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
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

/// A `lam` command that failed while a test built its fixture.
public struct LamFixtureError: Error, CustomStringConvertible {
  public let description: String
}

/// A fresh folder holding a dataset `ds` of `episodes` x `steps` from `env`, and with `train` flags a run
/// `run` trained on it (`lam train --data ds --out run` plus those flags).
public func folderWithDataset(_ env: String = "paper-4x4-agent", episodes: Int = 20, steps: Int = 8, train: [String]? = nil,
                              name: String = #function) throws -> String {
  let folder = makeTemporaryFolder(name)
  for arguments in [["generate", "--env", env, "--episodes", "\(episodes)", "--steps", "\(steps)", "--out", "ds"]]
    + (train.map { [["train", "--data", "ds", "--out", "run"] + $0] } ?? []) {
    let result = try runLam(arguments, currentDirectory: folder)
    guard result.status == 0 else { throw LamFixtureError(description: "lam \(arguments.joined(separator: " ")): \(result.stderr)") }
  }
  return folder
}

/// Starts `lam` with `arguments` in `folder` (output discarded) and returns once it holds the lock of the
/// folder `locked` (its .lam-lock names it), or after 10 s.
public func startLamHoldingLock(_ arguments: [String], in folder: String, locked: String) throws -> Process {
  let process = Process()
  process.executableURL = lamExecutable()
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: folder)
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  let lock = folder + "/" + locked + "/.lam-lock"
  for _ in 0..<500 where (try? String(contentsOfFile: lock, encoding: .utf8)) != "\(process.processIdentifier)\n" {
    usleep(20_000)
  }
  return process
}
