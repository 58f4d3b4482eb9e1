import Core
import Foundation

/// dataset.json: everything needed to read and trust the arrays beside it.
public struct DatasetManifest: Codable, Hashable, Sendable {
  /// Always "lam-gridworld-dataset".
  public var format: String
  public var formatVersion: Int
  public var environment: EnvironmentConfig
  public var source: String
  public var seed: UInt64
  public var episodes: Int
  public var steps: Int
  /// [C, H, W]
  public var frameShape: [Int]
  public var distractorCount: Int
  /// Action codes 0...4 in order; distractors also use `Action.teleportCode` (5).
  public var actionNames: [String]
  /// One entry per array file (name without .npy).
  public var arrays: [String: ArrayInfo]
  /// How `arrays.*.hash` and `contentHash` are computed: "sha256" in format 2; format 1 has no such key
  /// and means `.checksum64`.
  public var hashAlgorithm: DatasetHash
  /// `hashAlgorithm.content` of the array files' hashes, as hex.
  public var contentHash: String

  /// The dtype, shape and checksum of one array file.
  public struct ArrayInfo: Codable, Hashable, Sendable {
    public var dtype: String
    public var shape: [Int]
    /// `hashAlgorithm.ofFile` of the whole .npy file, as hex (format 2: what `sha256sum` prints for it).
    public var hash: String

    enum CodingKeys: String, CodingKey, CaseIterable { case dtype, shape, hash }
    public init(dtype: String, shape: [Int], hash: String) {
      self.dtype = dtype
      self.shape = shape
      self.hash = hash
    }
    public init(from decoder: Decoder) throws {
      try decoder.rejectUnknownKeys(CodingKeys.self)
      let c = try decoder.container(keyedBy: CodingKeys.self)
      dtype = try c.decode(String.self, forKey: .dtype)
      shape = try c.decode([Int].self, forKey: .shape)
      hash = try c.decode(String.self, forKey: .hash)
    }
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case format, formatVersion, environment, source, seed, episodes, steps, frameShape, distractorCount, actionNames,
      arrays, hashAlgorithm, contentHash
  }

  public init(from decoder: Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    format = try c.decode(String.self, forKey: .format)
    formatVersion = try c.decode(Int.self, forKey: .formatVersion)
    // Refuse a future format before trying to read fields it may have changed.
    let versions = Dataset.readableFormatVersions
    guard format == "lam-gridworld-dataset", versions.contains(formatVersion) else {
      throw LamError("format \(format) version \(formatVersion) is not supported (expected lam-gridworld-dataset version \(versions.lowerBound)...\(versions.upperBound))")
    }
    if formatVersion == 1 {
      guard !c.contains(.hashAlgorithm) else { throw LamError("hashAlgorithm: not a key of format version 1 (its hashes are lam-checksum64)") }
      hashAlgorithm = .checksum64
    } else {
      hashAlgorithm = try c.decode(DatasetHash.self, forKey: .hashAlgorithm)
      guard hashAlgorithm == .sha256 else { throw LamError("hashAlgorithm: expected \"sha256\" in format version \(formatVersion)") }
    }
    environment = try c.decode(EnvironmentConfig.self, forKey: .environment)
    source = try c.decode(String.self, forKey: .source)
    seed = try c.decode(UInt64.self, forKey: .seed)
    episodes = try c.decode(Int.self, forKey: .episodes)
    steps = try c.decode(Int.self, forKey: .steps)
    frameShape = try c.decode([Int].self, forKey: .frameShape)
    distractorCount = try c.decode(Int.self, forKey: .distractorCount)
    actionNames = try c.decode([String].self, forKey: .actionNames)
    arrays = try c.decode([String: ArrayInfo].self, forKey: .arrays)
    contentHash = try c.decode(String.self, forKey: .contentHash)
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(format, forKey: .format)
    try c.encode(formatVersion, forKey: .formatVersion)
    try c.encode(environment, forKey: .environment)
    try c.encode(source, forKey: .source)
    try c.encode(seed, forKey: .seed)
    try c.encode(episodes, forKey: .episodes)
    try c.encode(steps, forKey: .steps)
    try c.encode(frameShape, forKey: .frameShape)
    try c.encode(distractorCount, forKey: .distractorCount)
    try c.encode(actionNames, forKey: .actionNames)
    try c.encode(arrays, forKey: .arrays)
    // Format 1 names its algorithm by its version alone.
    if formatVersion != 1 { try c.encode(hashAlgorithm, forKey: .hashAlgorithm) }
    try c.encode(contentHash, forKey: .contentHash)
  }

  init(dataset: Dataset, arrays: [String: ArrayInfo], contentHash: String) {
    format = "lam-gridworld-dataset"
    formatVersion = Dataset.formatVersion
    environment = dataset.config
    source = dataset.source
    seed = dataset.seed
    episodes = dataset.episodes
    steps = dataset.steps
    frameShape = dataset.frameShape
    distractorCount = dataset.distractorCount
    actionNames = Action.names
    self.arrays = arrays
    hashAlgorithm = .sha256
    self.contentHash = contentHash
  }
}

extension Dataset {
  /// The array files of a dataset folder (each `<name>.npy`), in the order they are written and read.
  public static let arrayNames = [
    "frames", "actions", "moved", "agent_pos", "distractor_actions", "distractor_pos", "shake", "exogenous_change",
  ]
  /// The arrays a dataset holds in memory: all but the frames, which may stay in their file (`FrameStore`).
  public static let recordArrayNames = arrayNames.filter { $0 != "frames" }

  /// The NumPy dtype name and shape of array `name` for E episodes, T steps, frame shape [C, H, W] and K distractors.
  public static func arrayLayout(_ name: String, episodes e: Int, steps t: Int, frameShape: [Int], distractors k: Int)
    -> (dtype: String, shape: [Int])
  {
    switch name {
    case "frames": return ("uint8", [e, t + 1] + frameShape)
    case "actions": return ("int64", [e, t])
    case "moved": return ("bool", [e, t])
    case "agent_pos": return ("int64", [e, t + 1, 2])
    case "distractor_actions": return ("int64", [e, t, k])
    case "distractor_pos": return ("int64", [e, t + 1, k, 2])
    case "shake": return ("int64", [e, t + 1, 2])
    case "exogenous_change": return ("float32", [e, t])
    default: preconditionFailure("unknown dataset array \(name)")
    }
  }

  /// Bytes of the arrays `names` (all by default) of a dataset of this size, or nil if they cannot be counted in an Int.
  public static func arrayBytes(
    _ names: [String] = arrayNames, episodes e: Int, steps t: Int, frameShape: [Int], distractors k: Int
  ) -> Int? {
    Sizes.sum(names.map { name in
      let layout = arrayLayout(name, episodes: e, steps: t, frameShape: frameShape, distractors: k)
      return Sizes.product(layout.shape + [layout.dtype == "int64" ? 8 : layout.dtype == "float32" ? 4 : 1])
    })
  }

  func shape(of name: String) -> [Int] {
    Dataset.arrayLayout(name, episodes: episodes, steps: steps, frameShape: frameShape, distractors: distractorCount).shape
  }

  // Writes array `name` as <folder>/<name>.npy and returns the file's SHA-256 as hex.
  func writeArray(_ name: String, in folder: String) throws -> String {
    let shape = shape(of: name)
    let file = "\(folder)/\(name).npy"
    switch name {
    case "frames":
      // Piece by piece, so frames read from a file are never all in memory.
      let writer = try NPYFileWriter(path: file, descr: UInt8.npyDescr, shape: shape, dataBytes: frames.count)
      for start in stride(from: 0, to: frames.count, by: Dataset.framePieceBytes) {
        try frames.withBytes(start..<min(start + Dataset.framePieceBytes, frames.count)) { try writer.append(UnsafeRawBufferPointer($0)) }
      }
      try frames.checkReads()
      return try writer.finish()
    case "actions": return try NPY.writeInPlace(actions, shape: shape, to: file)
    case "moved": return try NPY.writeInPlace(moved, shape: shape, to: file)
    case "agent_pos": return try NPY.writeInPlace(agentPositions, shape: shape, to: file)
    case "distractor_actions": return try NPY.writeInPlace(distractorActions, shape: shape, to: file)
    case "distractor_pos": return try NPY.writeInPlace(distractorPositions, shape: shape, to: file)
    case "shake": return try NPY.writeInPlace(shake, shape: shape, to: file)
    case "exogenous_change": return try NPY.writeInPlace(exogenousChange, shape: shape, to: file)
    default: preconditionFailure("unknown dataset array \(name)")
    }
  }

  /// Writes the dataset folder at `path`: dataset.json and one .npy file per array. The folder is built
  /// aside and renamed into place at the end; an existing `path` is replaced only with `force` and only
  /// if lam made it, and never when it is, contains or lies inside one of `inputs`.
  public func write(to path: String, force: Bool = false, inputs: [Files.Input] = []) throws {
    try Files.writeFolder(path, force: force, inputs: inputs) { staging in
      try writeFiles(in: staging, for: path)
    }
  }

  /// Writes the arrays and dataset.json into the staging folder of `path`, all but those in `written`
  /// (array name -> hash of the file already there).
  func writeFiles(in staging: String, for path: String, written: [String: String] = [:]) throws {
    var infos: [String: DatasetManifest.ArrayInfo] = [:]
    var hashes = written
    for name in Dataset.arrayNames {
      if written[name] == nil {
        do {
          hashes[name] = try writeArray(name, in: staging)
        } catch {
          throw LamError("\(path)/\(name).npy: cannot write (disk full or not writable?)")
        }
      }
      let layout = Dataset.arrayLayout(name, episodes: episodes, steps: steps, frameShape: frameShape, distractors: distractorCount)
      infos[name] = .init(dtype: layout.dtype, shape: layout.shape, hash: hashes[name]!)
    }
    let manifest = DatasetManifest(dataset: self, arrays: infos, contentHash: DatasetHash.sha256.content(hashes))
    do {
      try StrictJSON.encode(manifest).write(to: URL(fileURLWithPath: "\(staging)/dataset.json"))
    } catch {
      throw LamError("\(path)/dataset.json: cannot write (disk full or not writable?)")
    }
  }

  /// Reads the dataset folder at `path`, checking dataset.json and every array's presence, dtype, shape,
  /// length and checksum; each problem is a one-line error naming the file. Frames of more than
  /// `framesInMemoryUpTo` bytes stay in frames.npy and are read on demand (`FrameStore`).
  public static func load(from path: String, framesInMemoryUpTo: Int = FrameStore.inMemoryBytes) throws -> Dataset {
    let manifestPath = "\(path)/dataset.json"
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
      throw LamError("\(path): no such dataset folder")
    }
    guard FileManager.default.fileExists(atPath: manifestPath) else {
      throw LamError("\(path): not a dataset folder (dataset.json is missing)")
    }
    let manifest = try StrictJSON.load(DatasetManifest.self, from: manifestPath)
    let (e, t, k) = (manifest.episodes, manifest.steps, manifest.distractorCount)
    try Check.range(e, "episodes", 1...Int(Int32.max), file: manifestPath)
    try Check.range(t, "steps", 1...100_000, file: manifestPath)
    try Check.that(
      manifest.frameShape == manifest.environment.grid.frameShape, "frameShape",
      "the environment's [C, H, W] \(manifest.environment.grid.frameShape), got \(manifest.frameShape)", file: manifestPath)
    try Check.that(
      k == manifest.environment.distractorCount, "distractorCount",
      "the environment's \(manifest.environment.distractorCount) distractors, got \(k)", file: manifestPath)

    // The frames stay in their file. The other arrays are held twice while they are read (the file's bytes,
    // then the values): refuse a dataset that cannot fit before reading any of it.
    try Check.that(
      arrayBytes(episodes: e, steps: t, frameShape: manifest.frameShape, distractors: k) != nil, "episodes",
      "a dataset whose size in bytes fits in a 64-bit integer (\(e) episodes of \(t) steps)", file: manifestPath)
    let bytes = arrayBytes(recordArrayNames, episodes: e, steps: t, frameShape: manifest.frameShape, distractors: k)
    try Check.memory(bytes.flatMap { Sizes.product([$0, 2]) }, "episodes", what: "dataset (\(e) episodes of \(t) steps, read)", file: manifestPath)

    var hashes: [String: String] = [:]
    // The array's file, its expected shape and dataset.json's entry for it, checked against each other.
    func entry(_ name: String) throws -> (file: String, shape: [Int], info: DatasetManifest.ArrayInfo) {
      let file = "\(path)/\(name).npy"
      let layout = arrayLayout(name, episodes: e, steps: t, frameShape: manifest.frameShape, distractors: k)
      guard let info = manifest.arrays[name] else {
        throw LamError("\(manifestPath): arrays.\(name): missing entry")
      }
      try Check.that(
        info.shape == layout.shape && info.dtype == layout.dtype, "arrays.\(name)",
        "dtype \(layout.dtype) and shape \(layout.shape) (from episodes, steps, frameShape, distractorCount), got \(info.dtype) \(info.shape)",
        file: manifestPath)
      guard FileManager.default.fileExists(atPath: file) else { throw LamError("\(file): missing") }
      return (file, layout.shape, info)
    }
    func checkHash(_ name: String, _ file: String, _ hash: String, _ info: DatasetManifest.ArrayInfo) throws {
      guard hash == info.hash else {
        throw LamError("\(file): checksum \(hash) (\(manifest.hashAlgorithm.rawValue)) does not match dataset.json (\(info.hash)): the file was changed or corrupted")
      }
      hashes[name] = hash
    }
    // Large frames are read on demand: here their header and size are checked and the file hashed.
    func openFrames() throws -> FrameStore {
      let (file, shape, info) = try entry("frames")
      let (frames, hash) = try FrameFile.open(file, shape: shape, hash: manifest.hashAlgorithm, inMemoryUpTo: framesInMemoryUpTo)
      try checkHash("frames", file, hash, info)
      return frames
    }
    func read<T: NPYScalar>(_ name: String, _ type: T.Type) throws -> [T] {
      let (file, shape, info) = try entry(name)
      let data: Data
      do {
        data = try Data(contentsOf: URL(fileURLWithPath: file))
      } catch {
        throw LamError("\(file): cannot read the file")
      }
      // Decoding and hashing only read the bytes, so they run side by side (SHA-256 is the slower one).
      var decoded: Result<(values: [T], shape: [Int]), Error>?
      var hash = ""
      DispatchQueue.concurrentPerform(iterations: 2) { job in
        if job == 0 {
          hash = manifest.hashAlgorithm.ofFile(data)
        } else {
          decoded = Result { try NPY.decode(type, from: data, source: file) }
        }
      }
      let (values, found) = try decoded!.get()
      guard found == shape else {
        throw LamError("\(file): shape \(NPY.shapeString(found)) does not match dataset.json (expected \(NPY.shapeString(shape)))")
      }
      try checkHash(name, file, hash, info)
      return values
    }
    let frames = try openFrames()
    let actions = try read("actions", Int.self)
    let moved = try read("moved", Bool.self)
    let agentPositions = try read("agent_pos", Int.self)
    let distractorActions = try read("distractor_actions", Int.self)
    let distractorPositions = try read("distractor_pos", Int.self)
    let shake = try read("shake", Int.self)
    let exogenous = try read("exogenous_change", Float.self)
    let combined = manifest.hashAlgorithm.content(hashes)
    guard combined == manifest.contentHash else {
      throw LamError("\(manifestPath): contentHash \(manifest.contentHash) does not match the files (\(combined))")
    }
    // Every value later code indexes with is range-checked here, once: codes index tables, cells index grids.
    func check(_ values: [Int], _ name: String, _ expected: String, _ isValid: (_ value: Int, _ index: Int) -> Bool) throws {
      if let bad = values.indices.first(where: { !isValid(values[$0], $0) }) {
        throw LamError("\(path)/\(name).npy: value \(values[bad]) at flat index \(bad): expected \(expected)")
      }
    }
    let grid = manifest.environment.grid
    let onGrid = { (value: Int, index: Int) in value >= 0 && value < (index % 2 == 0 ? grid.height : grid.width) }
    let cells = "a cell of the \(grid.height)x\(grid.width) grid (rows 0...\(grid.height - 1), columns 0...\(grid.width - 1))"
    try check(actions, "actions", "an action code 0...4") { v, _ in (0..<Action.allCases.count).contains(v) }
    try check(agentPositions, "agent_pos", cells, onGrid)
    try check(distractorActions, "distractor_actions", "an action code 0...4 or \(Action.teleportCode) (teleport)") { v, _ in
      (0...Action.teleportCode).contains(v)
    }
    try check(distractorPositions, "distractor_pos", cells, onGrid)
    let m = manifest.environment.shake.maxPixels
    try check(shake, "shake", "an offset in -\(m)...\(m) pixels (shake.maxPixels)") { v, _ in (-m...m).contains(v) }
    if let bad = exogenous.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
      throw LamError("\(path)/exogenous_change.npy: value \(exogenous[bad]) at flat index \(bad): expected a mean absolute change in 0...1")
    }
    return Dataset(
      config: manifest.environment, source: manifest.source, seed: manifest.seed, episodes: e, steps: t, frames: frames,
      actions: actions, moved: moved, agentPositions: agentPositions, distractorActions: distractorActions,
      distractorPositions: distractorPositions, shake: shake, exogenousChange: exogenous)
  }
}
