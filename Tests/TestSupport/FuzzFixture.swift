import Foundation
import GridWorld

/// The files `lam` reads, built once per fuzz run by `lam` itself and kept as bytes: every case starts
/// from exactly these (commands write into the folder, so it is restored before each case).
///
/// Layout (paths relative to the folder, which is every command's current directory):
///
///     env.json              an 8x8-pixel environment: 4x4 cells of 2 px, two random-walking distractors,
///                           a noise layer and camera shake, so every array of a dataset is non-trivial
///     train-config.json     a small run config (`lam train --config`)
///     sweep.json            a sweep spec of two conditions on env.json, two seeds
///     ds/                   8 episodes x 4 steps of env.json
///     run/                  a continuous LAM trained 4 steps on ds (labels with a head), probed
///     run-step2/            run's checkpoint pair as it was at step 2
///     vq/                   a VQ LAM (5 codes, the codes label remedy) trained 4 steps on ds, probed
///     sw/                   `lam sweep run sweep.json --quick`: datasets, four finished runs (without
///                           their weights, which `sweep collect` does not read)
///
/// Paths that lam wrote as absolute ones (run.json's dataset, sw/sweep.json's spec) are made relative and
/// timings are set to fixed numbers, so the fixture's bytes, and so every case's mutation, do not depend on
/// where or how fast it was built.
public struct FuzzFixture {
  /// Every file's bytes by relative path, dot files included.
  public let files: [String: Data]
  /// Every folder, parents before children.
  public let folders: [String]
  /// The files' paths, sorted: what cases pick from.
  public let paths: [String]

  static let environment = """
    {
      "description": "fuzz fixture: 4x4 cells of 2 px, two random-walking distractors, noise and camera shake",
      "grid": {"width": 4, "height": 4, "cellSize": 2, "channels": 1, "background": 0.1},
      "agent": {"region": {"row": 0, "col": 0, "height": 4, "width": 4}, "color": 0.6, "start": "random",
                "policy": {"kind": "sticky", "p": 0.5}},
      "distractors": [{"count": 2, "region": {"row": 2, "col": 0, "height": 2, "width": 4}, "color": 1,
                       "policy": {"kind": "randomWalk"}, "overlapAgent": false}],
      "noise": [{"kind": "bernoulli", "p": 0.2, "intensity": 0.3, "unit": "cell", "region": {"row": 0, "col": 3, "height": 2, "width": 1}}],
      "shake": {"maxPixels": 1, "probability": 0.5},
      "episodeLength": 4
    }
    """

  static let runConfig = """
    {
      "model": {"architecture": "mlp", "hidden": 16, "depth": 1, "predict": "next",
                "bottleneck": {"kind": "vq", "dz": 3, "codes": 6, "commitment": 0.5}},
      "train": {"steps": 2, "batch": 4, "lr": 0.01, "seed": 7, "valFraction": 0.2, "logEvery": 1, "evalEvery": 1},
      "remedies": {"labelFraction": 0.5, "labelMode": "head", "cleanFraction": 0.1}
    }
    """

  static let sweepSpec = """
    {
      "description": "fuzz fixture sweep",
      "base": {"model": {"hidden": 16, "bottleneck": {"kind": "vq", "codes": 5}}, "train": {"steps": 4, "batch": 8}},
      "data": {"episodes": 8, "steps": 4, "seed": 0},
      "quick": {"episodes": 4, "steps": 2, "trainSteps": 2},
      "conditions": [
        {"name": "file-env", "env": "env.json"},
        {"name": "labels", "env": "env.json", "evalEnv": "env.json",
         "set": {"remedies.labelFraction": 0.5, "remedies.labelMode": "codes"}}
      ],
      "seeds": [0, 1],
      "probe": {"quantized": true, "epochs": 1, "maxTrain": 100},
      "metrics": ["controllable_loss", "stochastic_loss", "action_probe", "distractor_probe", "code_nmi", "val_recon"],
      "findings": [
        {"claim": "labels lower the controllable loss", "metric": "controllable_loss", "from": "file-env", "to": "labels", "expect": "lower"},
        {"claim": "labels give the best action probe", "metric": "action_probe", "condition": "labels", "expect": "highest"}
      ]
    }
    """

  /// The commands that build the fixture, in order (with the copies of run-step2 after the second).
  static let buildCommands: [[String]] = [
    ["generate", "--env", "env.json", "--episodes", "8", "--steps", "4", "--seed", "3", "--out", "ds"],
    ["train", "--data", "ds", "--out", "run", "--steps", "2", "--batch", "8", "--set", "model.hidden=16",
     "--set", "train.logEvery=1", "--set", "train.evalEvery=2", "--set", "train.checkpointEvery=2", "--set", "train.valFraction=0.25",
     "--label-fraction", "0.4", "--augment", "shift"],
    ["train", "--resume", "run", "--steps", "4"],
    ["probe", "--run", "run", "--epochs", "1"],
    ["train", "--data", "ds", "--out", "vq", "--steps", "4", "--batch", "8", "--bottleneck", "vq", "--codes", "5",
     "--set", "model.hidden=16", "--set", "model.depth=1", "--set", "train.logEvery=1", "--set", "train.evalEvery=2",
     "--set", "train.valFraction=0.25", "--label-fraction", "0.5", "--label-mode", "codes"],
    ["probe", "--run", "vq", "--epochs", "1", "--quantized"],
    ["sweep", "run", "sweep.json", "--out", "sw", "--quick", "--jobs", "1"],
  ]

  /// Builds the fixture in the empty folder `folder` with `lam` (through `run`, which returns the exit
  /// status and stderr of one command), and reads it back.
  public static func build(in folder: String, run: ([String]) throws -> (status: Int32, stderr: String)) throws -> FuzzFixture {
    let fm = FileManager.default
    try Data(environment.utf8).write(to: URL(fileURLWithPath: folder + "/env.json"))
    try Data(runConfig.utf8).write(to: URL(fileURLWithPath: folder + "/train-config.json"))
    try Data(sweepSpec.utf8).write(to: URL(fileURLWithPath: folder + "/sweep.json"))
    for (i, arguments) in buildCommands.enumerated() {
      let result = try run(arguments)
      guard result.status == 0 else {
        throw FuzzError("building the fuzz fixture: `lam \(arguments.joined(separator: " "))` failed (\(result.status)): \(result.stderr)")
      }
      if i == 1 {
        try fm.createDirectory(atPath: folder + "/run-step2", withIntermediateDirectories: true)
        for name in ["checkpoint.safetensors", "training-state.safetensors"] {
          try fm.copyItem(atPath: folder + "/run/" + name, toPath: folder + "/run-step2/" + name)
        }
      }
    }
    // `sweep collect` reads a finished run's probe.json and summary.json, never its weights: leaving them
    // out makes the fixture a third smaller to restore before every case.
    for name in try fm.contentsOfDirectory(atPath: folder + "/sw/runs") where !name.hasSuffix(".log") {
      for weights in ["checkpoint.safetensors", "training-state.safetensors"] {
        try? fm.removeItem(atPath: "\(folder)/sw/runs/\(name)/\(weights)")
      }
    }
    try normalize(folder)
    return try FuzzFixture(snapshotOf: folder)
  }

  /// Reads every file and folder under `root`.
  public init(snapshotOf root: String) throws {
    let fm = FileManager.default
    var files: [String: Data] = [:]
    var folders: [String] = []
    guard let walker = fm.enumerator(atPath: root) else { throw FuzzError("\(root): cannot list the fixture") }
    while let relative = walker.nextObject() as? String {
      var isFolder: ObjCBool = false
      _ = fm.fileExists(atPath: root + "/" + relative, isDirectory: &isFolder)
      if isFolder.boolValue {
        folders.append(relative)
      } else {
        files[relative] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative))
      }
    }
    self.files = files
    self.folders = folders.sorted { $0.count < $1.count || ($0.count == $1.count && $0 < $1) }
    paths = files.keys.sorted()
  }

  /// Makes `folder` hold exactly the fixture: whatever a case did to it is gone. Only what differs is
  /// rewritten, and what the fixture does not hold is removed: a case changes a few files, and rewriting
  /// all of them would cost more than running lam.
  public func restore(into folder: String) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let known = Set(folders).union(paths)
    for parent in [""] + folders {
      let path = parent.isEmpty ? folder : folder + "/" + parent
      var isFolder: ObjCBool = false
      if fm.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue { try fm.removeItem(atPath: path) }
      if !fm.fileExists(atPath: path) { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) }
      for name in try fm.contentsOfDirectory(atPath: path) {
        let relative = parent.isEmpty ? name : parent + "/" + name
        var entryIsFolder: ObjCBool = false
        _ = fm.fileExists(atPath: path + "/" + name, isDirectory: &entryIsFolder)
        // Unknown entries go, and so do entries of the wrong kind (a file a case replaced by a folder).
        if !known.contains(relative) || (entryIsFolder.boolValue && files[relative] != nil) {
          try fm.removeItem(atPath: path + "/" + name)
        }
      }
    }
    for (relative, data) in files where fm.contents(atPath: folder + "/" + relative) != data {
      try FuzzFixture.write(data, to: folder + "/" + relative)
    }
  }

  /// Writes `data` in place (FileManager's createFile writes a temporary file and renames it: slower).
  static func write(_ data: Data, to path: String) throws {
    do {
      try data.write(to: URL(fileURLWithPath: path))
    } catch {
      throw FuzzError("\(path): cannot write (\(error))")
    }
  }

  /// Applies a case's edits to a restored fixture in `folder`.
  public static func apply(_ edits: [FuzzEdit], in folder: String) throws {
    let fm = FileManager.default
    for edit in edits {
      switch edit {
      case .write(let relative, let data):
        try write(data, to: folder + "/" + relative)
      case .remove(let relative):
        try fm.removeItem(atPath: folder + "/" + relative)
      case .makeFolder(let relative):
        try fm.removeItem(atPath: folder + "/" + relative)
        try fm.createDirectory(atPath: folder + "/" + relative, withIntermediateDirectories: false)
      }
    }
  }

  // MARK: - Checksums

  var manifest: FuzzJSON { FuzzJSON.parse(files["ds/dataset.json"]!)! }

  func savedHash(_ array: String) -> String { manifest["arrays"]?[array]?["hash"]?.stringValue ?? "" }

  /// The edits that make dataset.json and the runs' run.json agree with `bytes` as the new `array` file:
  /// its checksum, the content hash, and the content hash the runs expect.
  func rehashedDataset(array: String, bytes: Data) -> [FuzzEdit] {
    let oldContent = manifest["contentHash"]?.stringValue ?? ""
    let newHash = DatasetHash.sha256.ofFile(bytes)
    let hashes = Dictionary(uniqueKeysWithValues: Dataset.arrayNames.map { ($0, $0 == array ? newHash : savedHash($0)) })
    let newContent = DatasetHash.sha256.content(hashes)
    var edits: [FuzzEdit] = []
    let manifestText = String(decoding: files["ds/dataset.json"]!, as: UTF8.self)
      .replacingOccurrences(of: "\"\(savedHash(array))\"", with: "\"\(newHash)\"")
      .replacingOccurrences(of: "\"\(oldContent)\"", with: "\"\(newContent)\"")
    edits.append(.write("ds/dataset.json", Data(manifestText.utf8)))
    for run in ["run", "vq"] {
      let text = String(decoding: files["\(run)/run.json"]!, as: UTF8.self).replacingOccurrences(of: oldContent, with: newContent)
      edits.append(.write("\(run)/run.json", Data(text.utf8)))
    }
    return edits
  }

  // MARK: - Normalizing

  /// Makes absolute paths under `folder` relative to it and sets timings to fixed values, in every text file.
  static func normalize(_ folder: String) throws {
    let fm = FileManager.default
    let prefixes = Set([folder, URL(fileURLWithPath: folder).resolvingSymlinksInPath().path]).map { $0 + "/" }
    let timing = try NSRegularExpression(pattern: #"("(?:samples_per_s|seconds)"\s*:\s*)([-+0-9.eE]+)"#)
    guard let walker = fm.enumerator(atPath: folder) else { return }
    while let relative = walker.nextObject() as? String {
      let path = folder + "/" + relative
      guard relative.hasSuffix(".json") || relative.hasSuffix(".jsonl"),
            let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
      var result = text
      for prefix in prefixes { result = result.replacingOccurrences(of: prefix, with: "") }
      let ns = result as NSString
      var pieces: [String] = []
      var last = 0
      for match in timing.matches(in: result, range: NSRange(location: 0, length: ns.length)) {
        let number = match.range(at: 2)
        pieces.append(ns.substring(with: NSRange(location: last, length: number.location - last)) + "1000")
        last = number.location + number.length
      }
      pieces.append(ns.substring(from: last))
      result = pieces.joined()
      if result != text { try Data(result.utf8).write(to: URL(fileURLWithPath: path)) }
    }
  }
}

public struct FuzzError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
