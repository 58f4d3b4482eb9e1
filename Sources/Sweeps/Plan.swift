import Core
import Foundation
import GridWorld
import LAM
import Probing
import Training

/// A sweep resolved against its spec file's folder and the presets: the datasets to generate and the runs.
public struct SweepPlan: Sendable {
  /// One dataset shared by every condition with the same environment.
  public struct DataSet: Sendable {
    /// The folder under the sweep's output folder: `data/<env>-<episodes>x<steps>`.
    public var folder: String
    public var env: String
    public var environment: EnvironmentConfig
    public var source: String
    public var episodes: Int
    public var steps: Int
    public var seed: UInt64
  }

  /// One training run: a condition with a seed.
  public struct Run: Sendable {
    public var index: Int
    public var name: String
    public var condition: String
    public var seed: UInt64
    public var config: RunConfig
    /// The dataset folder, relative to the sweep's output folder.
    public var data: String
    /// The evaluation dataset folder (the condition's `evalEnv`), relative to the sweep's output folder.
    public var evalData: String?
  }

  public var spec: SweepSpec
  /// The spec file's absolute path.
  public var specFile: String
  public var quick: Bool
  public var datasets: [DataSet]
  public var runs: [Run]

  /// Loads and validates the spec at `specFile` and resolves every environment (`presetFolders` as for
  /// `lam generate --env`) and every run's config.
  public static func load(_ specFile: String, quick: Bool, presetFolders: [String]) throws -> SweepPlan {
    let spec = try SweepSpec.load(specFile)
    let absolute = URL(fileURLWithPath: specFile).standardizedFileURL.path
    let specFolder = URL(fileURLWithPath: absolute).deletingLastPathComponent().path
    let episodes = quick ? spec.quick.episodes : spec.data.episodes
    let steps = quick ? spec.quick.steps : spec.data.steps
    var datasets: [DataSet] = []
    var folderOf: [String: String] = [:]
    // Evaluation data (`evalEnv`): as many episodes as a 5% held-out split, from the next data seed, so it
    // shares no episode with any training data.
    let evalEpisodes = max(2, Int((Double(episodes) * 0.05).rounded()))
    var evalFolderOf: [String: String] = [:]
    func resolve(_ env: String, _ field: String, _ i: Int, _ condition: SweepSpec.Condition) throws
      -> (config: EnvironmentConfig, source: String)
    {
      // A path (with a '/' or '.json') is a file relative to the spec's folder; anything else is a preset name.
      let isPath = env.contains("/") || env.hasSuffix(".json")
      let file = env.hasPrefix("/") ? env : specFolder + "/" + env
      let at = "\(specFile): conditions[\(i)] '\(condition.name)'.\(field) '\(env)'"
      do {
        if isPath {
          guard FileManager.default.fileExists(atPath: file) else { throw LamError("\(at): no such file (\(file))") }
          return (try StrictJSON.load(EnvironmentConfig.self, from: file), env)
        }
        return try Presets.resolve(env, in: presetFolders)
      } catch let error as LamError where !error.message.hasPrefix(specFile) {
        let known = Presets.list(in: presetFolders).map(\.name).joined(separator: ", ")
        let detail = error.message.hasPrefix("--env") ? "no such file or preset (presets: \(known))" : error.message
        throw LamError("\(at): \(detail)")
      }
    }
    func add(_ env: String, _ field: String, _ i: Int, _ condition: SweepSpec.Condition, evaluation: Bool) throws -> String {
      let resolved = try resolve(env, field, i, condition)
      let label = URL(fileURLWithPath: env).deletingPathExtension().lastPathComponent
      let count = evaluation ? evalEpisodes : episodes
      let folder = "data/\(label)-\(count)x\(steps)" + (evaluation ? "-eval" : "")
      if let other = datasets.first(where: { $0.folder == folder }) {
        throw LamError("\(specFile): conditions[\(i)] '\(condition.name)'.\(field) '\(env)': "
                       + "expected a different file name than '\(other.env)' (both would be \(folder))")
      }
      datasets.append(DataSet(folder: folder, env: env, environment: resolved.config, source: resolved.source,
                              episodes: count, steps: steps, seed: spec.data.seed + (evaluation ? 1 : 0)))
      return folder
    }
    for (i, condition) in spec.conditions.enumerated() {
      if folderOf[condition.env] == nil { folderOf[condition.env] = try add(condition.env, "env", i, condition, evaluation: false) }
      if let env = condition.evalEnv, evalFolderOf[env] == nil {
        evalFolderOf[env] = try add(env, "evalEnv", i, condition, evaluation: true)
      }
    }
    let runs = try spec.runs.enumerated().map { index, run in
      let c = spec.conditions.firstIndex { $0.name == run.condition }!
      let dims = datasets.first { $0.folder == folderOf[run.env] }!.environment.grid.frameShape
      let frame = FrameShape(channels: dims[0], height: dims[1], width: dims[2])
      return Run(index: index, name: run.name, condition: run.condition, seed: run.seed,
                 config: try spec.runConfig(condition: c, seed: run.seed, quick: quick, file: specFile, frame: frame),
                 data: folderOf[run.env]!, evalData: spec.conditions[c].evalEnv.map { evalFolderOf[$0]! })
    }
    return SweepPlan(spec: spec, specFile: absolute, quick: quick, datasets: datasets, runs: runs)
  }
}

/// DIR/sweep.json: the spec a sweep folder belongs to and whether it is a quick sweep.
public struct SweepManifest: Codable, Equatable, Sendable {
  public static let file = "sweep.json"
  public var spec: SweepSpec
  public var specFile: String
  public var quick: Bool

  public init(plan: SweepPlan) {
    spec = plan.spec
    specFile = plan.specFile
    quick = plan.quick
  }

  /// Reads DIR/sweep.json.
  public static func load(from outDir: String) throws -> SweepManifest {
    let path = outDir + "/" + file
    guard FileManager.default.fileExists(atPath: path) else {
      throw LamError("\(outDir): not a sweep folder (no \(file); start it with `lam sweep run` or `lam sweep emit`)")
    }
    return try read(path)
  }

  /// sweep.json with its spec validated like a spec file (collect trusts its conditions, metrics and findings).
  static func read(_ path: String) throws -> SweepManifest {
    let manifest = try StrictJSON.load(SweepManifest.self, from: path)
    try manifest.spec.validate(file: path + " (spec)")
    return manifest
  }

  /// Creates `outDir` (and runs/) and writes sweep.json; refuses a folder that belongs to another spec or
  /// quick setting unless `force` (which rewrites sweep.json and keeps every finished run), and a folder
  /// that is not empty and not a sweep folder (whatever `force` says: a sweep never takes over a folder).
  public static func prepare(_ outDir: String, plan: SweepPlan, force: Bool) throws {
    let manifest = SweepManifest(plan: plan)
    let path = outDir + "/" + file
    // A run killed while it wrote the marker or sweep.json left only their temporary files: not content.
    Files.removeLeftovers(in: outDir)
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: outDir)) ?? []
    if !entries.contains(file) && !entries.allSatisfy({ [Files.marker, FolderLock.file].contains($0) }) {
      throw LamError("\(outDir): not a sweep folder (no \(file)) and not empty; choose another --out")
    }
    if FileManager.default.fileExists(atPath: path) {
      let existing = try read(path)
      if existing.spec == manifest.spec && existing.quick == manifest.quick {
        try createFolders(outDir)
        return
      }
      guard force else {
        let what = existing.spec == manifest.spec ? "the same spec with quick \(existing.quick)" : "a different spec (\(existing.specFile))"
        throw LamError("\(path): this folder holds \(what); use another --out, or --force to rewrite sweep.json and keep its runs")
      }
    }
    // The marker and sweep.json before anything else: a run killed in between leaves a folder that is
    // empty but for the marker, or a sweep folder, and either is taken again by the next `sweep run`.
    try createFolders(outDir, subfolders: [])
    try Files.markOutputFolder(outDir)
    try Files.writeAtomically(StrictJSON.encode(manifest), to: path)
    try createFolders(outDir)
  }

  /// Refuses when DIR/sweep.json exists and belongs to another spec or quick setting.
  public static func check(_ outDir: String, plan: SweepPlan) throws {
    let path = outDir + "/" + file
    guard FileManager.default.fileExists(atPath: path) else { return }
    let existing = try read(path)
    guard existing.spec == plan.spec && existing.quick == plan.quick else {
      throw LamError("\(path): this folder belongs to another spec or quick setting (\(existing.specFile), quick \(existing.quick))")
    }
  }

  static func createFolders(_ outDir: String, subfolders: [String] = ["runs", "data"]) throws {
    do {
      try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
      for name in subfolders {
        try FileManager.default.createDirectory(atPath: outDir + "/" + name, withIntermediateDirectories: true)
      }
    } catch {
      throw LamError("\(outDir): cannot create the sweep folder (is the parent writable?)")
    }
  }
}
