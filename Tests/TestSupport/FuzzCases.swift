import Foundation
import GridWorld

/// One fuzz case: a mutation of the fixture and the `lam` commands that read what was mutated. It depends
/// only on the seed, its index and the fixture, never on which worker runs it or when.
public struct FuzzCase {
  public let index: Int
  /// The file mutated (`ds/actions.npy`, `run/checkpoint.safetensors`), or `flags:<command>`.
  public let target: String
  public let mutation: FuzzMutation
  /// Arguments of each `lam` run, in order, from the fixture folder.
  public let commands: [[String]]

  /// The target's family for the summary: the fixture's top-level entry (`ds`, `run`, `env.json`) or `flags`.
  public var family: String {
    target.hasPrefix("flags:") ? "flags" : String(target.split(separator: "/").first ?? "")
  }

  public init(seed: UInt64, index: Int, fixture: FuzzFixture) {
    var rng = FuzzRandom(seed: seed, case: index)
    let target = rng.weighted(FuzzTargets.all.map { ($0.weight, $0) })
    self.index = index
    self.target = target.name
    mutation = target.mutate(fixture, &rng)
    commands = target.commands(&rng, mutation)
  }
}

/// A kind of case: what it mutates, how often it is drawn, and which commands it runs.
struct FuzzTarget {
  let name: String
  let weight: Int
  let mutate: (FuzzFixture, inout FuzzRandom) -> FuzzMutation
  let commands: (inout FuzzRandom, FuzzMutation) -> [[String]]
}

/// The commands cases run, from the fixture folder. Sizes are the smallest that still reach the code that
/// reads each file (one probe epoch, five swap pairs, two training steps), so a case takes tens of ms.
enum FuzzCommands {
  static func framesData(episode: Int) -> [String] {
    ["frames", "--data", "ds", "--episode", String(episode), "--scale", "2", "--out", "out-frames"]
  }

  static func trainData(_ rng: inout FuzzRandom) -> [String] {
    // Each remedy reads a different array: labels read actions, cleaning exogenous_change or the frames.
    let remedy = rng.pick([
      [], [], ["--clean-fraction", "0.3"], ["--label-fraction", "0.5"], ["--augment", "shift"],
      ["--label-fraction", "0.5", "--label-mode", "codes", "--bottleneck", "vq", "--codes", "5"],
      ["--clean-fraction", "0.3", "--set", "remedies.cleanBy=frameDiff"],
    ])
    return ["train", "--data", "ds", "--out", "out-run", "--steps", "2", "--batch", "4", "--set", "model.hidden=16"] + remedy
  }

  static func probe(_ run: String, _ rng: inout FuzzRandom) -> [String] {
    ["probe", "--run", run, "--epochs", "1"] + (rng.chance(0.3) ? ["--quantized"] : [])
  }

  /// Probing with `--eval-data` tests on every transition of the dataset, with no content-hash check.
  static func probeEval(_ run: String) -> [String] {
    ["probe", "--run", run, "--epochs", "1", "--eval-data", "ds", "--out", "out-eval.json"]
  }

  static func encode(_ run: String, _ rng: inout FuzzRandom) -> [String] {
    ["encode", "--run", run, "--data", "ds", "--out", "out-z.npy"] + (rng.chance(0.3) ? ["--predict", "out-p.npy"] : [])
  }

  /// Labels come from the run's head or codes, or (with --from probe) from the probe `lam probe` saved.
  static func label(_ run: String, _ rng: inout FuzzRandom) -> [String] {
    ["label", "--run", run, "--data", "ds", "--out", "out-labels.npy"] + (rng.chance(0.5) ? ["--from", "probe"] : [])
  }

  static func report(_ run: String) -> [String] {
    ["report", "--run", run, "--pairs", "5", "--out", "out-report"]
  }

  static func resume(_ run: String) -> [String] {
    ["train", "--resume", run, "--steps", "6"]
  }

  /// A warm start from the run's checkpoint, with the run's own config.json as the config file.
  static func warmStart(_ run: String) -> [String] {
    ["train", "--config", run + "/config.json", "--init", run + "/checkpoint.safetensors", "--data", "ds", "--out", "out-run", "--steps", "2"]
  }

  static let generate = ["generate", "--env", "env.json", "--episodes", "2", "--steps", "2", "--out", "out-ds"]
  static let framesEnv = ["frames", "--env", "env.json", "--steps", "2", "--scale", "1", "--out", "out-frames"]
  static let trainConfig = ["train", "--config", "train-config.json", "--data", "ds", "--out", "out-run", "--steps", "2"]
  static let sweepCollect = ["sweep", "collect", "sw"]
  static let sweepCollectReports = ["sweep", "collect", "sw", "--reports"]
  static let compare = ["compare", "run", "vq", "--out", "out-compare"]

  static func sweepList(_ rng: inout FuzzRandom) -> [String] {
    ["sweep", "list", "sweep.json"] + (rng.chance(0.5) ? ["--quick"] : [])
  }

  static func sweepEmit(_ rng: inout FuzzRandom) -> [String] {
    ["sweep", "emit", "sweep.json", "--out", "out-sweep", rng.chance(0.5) ? "--slurm" : "--parallel"]
  }

  /// Draws one or two commands from weighted choices (two distinct ones a third of the time).
  static func some(_ rng: inout FuzzRandom, _ choices: [(Int, [String])]) -> [[String]] {
    let first = rng.weighted(choices)
    guard choices.count > 1, rng.chance(0.33) else { return [first] }
    let rest = choices.filter { $0.1 != first }
    return [first, rng.weighted(rest)]
  }
}

enum FuzzTargets {
  static let arrays = Dataset.arrayNames
  static let runs = ["run", "vq"]

  static let all: [FuzzTarget] =
    arrays.map(arrayTarget) + [manifestTarget] + runs.flatMap(runTargets) + [
      envTarget, runConfigTarget, sweepSpecTarget, sweepFolderTarget, sweepRunFilesTarget,
    ] + FuzzFlags.targets

  // MARK: - The dataset

  /// Commands that read the dataset: directly, through the runs trained on it, and as evaluation data.
  static func datasetCommands(_ rng: inout FuzzRandom, _ mutation: FuzzMutation) -> [[String]] {
    let run = rng.pick(runs)
    let episode = mutation.episode ?? rng.below(8)
    return FuzzCommands.some(&rng, [
      (3, FuzzCommands.framesData(episode: episode)), (3, FuzzCommands.trainData(&rng)), (3, FuzzCommands.probe(run, &rng)),
      (2, FuzzCommands.probeEval(run)), (2, FuzzCommands.encode(run, &rng)), (1, FuzzCommands.report(run)),
      (1, FuzzCommands.resume(run)), (1, FuzzCommands.label(run, &rng)),
    ])
  }

  static func arrayTarget(_ name: String) -> FuzzTarget {
    let path = "ds/\(name).npy"
    return FuzzTarget(name: path, weight: 4, mutate: { fixture, rng in
      let original = fixture.files[path]!
      var mutation: FuzzMutation
      if rng.chance(0.7), let (bytes, what, episode) = NPYMutator.mutate(original, &rng) {
        mutation = FuzzMutation([.write(path, bytes)], "\(path): \(what)", episode: episode)
      } else {
        mutation = ByteMutator.mutateFile(path, original, &rng)
      }
      // Mostly with the checksums recomputed, as a user editing the arrays would: the checks behind the
      // checksum (shapes, types, value ranges) are where the deep bugs hide.
      if rng.chance(0.85), case .write(_, let bytes)? = mutation.edits.first {
        mutation.edits += fixture.rehashedDataset(array: name, bytes: bytes)
        mutation.description += " (hashes recomputed)"
      }
      return mutation
    }, commands: datasetCommands)
  }

  /// Edits of dataset.json that stay consistent with the frames but not with the arrays' values.
  static let manifestCombinations: [(String, [([String], String)])] = [
    ("grid 8x8 of 1-px cells (same frame shape)", [(["environment", "grid", "width"], "8"), (["environment", "grid", "height"], "8"), (["environment", "grid", "cellSize"], "1")]),
    ("grid 2x2 of 4-px cells (positions off the grid)", [(["environment", "grid", "width"], "2"), (["environment", "grid", "height"], "2"), (["environment", "grid", "cellSize"], "4")]),
    ("grid 1x1 of 8-px cells", [(["environment", "grid", "width"], "1"), (["environment", "grid", "height"], "1"), (["environment", "grid", "cellSize"], "8")]),
    ("no distractors in the environment", [(["environment", "distractors"], "[]")]),
    ("agent region one cell", [(["environment", "agent", "region"], #"{"row": 0, "col": 0, "height": 1, "width": 1}"#)]),
    ("no shake", [(["environment", "shake"], #"{"maxPixels": 0, "probability": 0}"#)]),
  ]

  static let manifestTarget = FuzzTarget(name: "ds/dataset.json", weight: 6, mutate: { fixture, rng in
    let path = "ds/dataset.json"
    let data = fixture.files[path]!
    if rng.chance(0.2), let json = FuzzJSON.parse(data) {
      let (name, fields) = rng.pick(manifestCombinations)
      var result = json
      for (keys, value) in fields { result = result.setting(keys, to: FuzzJSON.parse(value)!) }
      return FuzzMutation([.write(path, Data(result.text.utf8))], "\(path): \(name)")
    }
    let preferred = [["episodes"], ["steps"], ["frameShape"], ["distractorCount"], ["formatVersion"], ["format"], ["seed"],
                     ["contentHash"], ["actionNames"], ["environment", "grid"], ["environment", "distractors"], ["environment", "shake"]]
      + arrays.flatMap { [["arrays", $0, "shape"], ["arrays", $0, "dtype"]] }
    return JSONMutator.mutateFile(path, data, &rng, preferring: preferred)
  }, commands: datasetCommands)

  // MARK: - The run folders

  static func runTargets(_ run: String) -> [FuzzTarget] {
    func file(_ name: String, _ weight: Int, _ mutate: @escaping (String, Data, inout FuzzRandom) -> FuzzMutation,
              _ choices: @escaping (inout FuzzRandom) -> [(Int, [String])]) -> FuzzTarget {
      let path = "\(run)/\(name)"
      return FuzzTarget(name: path, weight: weight, mutate: { fixture, rng in mutate(path, fixture.files[path]!, &rng) },
                        commands: { rng, _ in FuzzCommands.some(&rng, choices(&rng)) })
    }
    let json: (String, Data, inout FuzzRandom) -> FuzzMutation = { JSONMutator.mutateFile($0, $1, &$2) }
    let readers: (inout FuzzRandom) -> [(Int, [String])] = { rng in
      [(3, FuzzCommands.probe(run, &rng)), (2, FuzzCommands.encode(run, &rng)), (1, FuzzCommands.report(run)),
       (2, FuzzCommands.resume(run)), (1, FuzzCommands.label(run, &rng)), (1, FuzzCommands.compare)]
    }
    return [
      file("checkpoint.safetensors", 5, safetensors, { rng in readers(&rng) + [(2, FuzzCommands.warmStart(run))] }),
      file("training-state.safetensors", 3, safetensors, { _ in [(1, FuzzCommands.resume(run))] }),
      file("config.json", 3, RunConfigMutator.mutateFile, { rng in readers(&rng) + [(2, FuzzCommands.warmStart(run))] }),
      file("split.json", 3, splitMutation, readers),
      file("run.json", 2, json, readers),
      file("metrics.jsonl", 1, jsonLines, { _ in
        [(1, FuzzCommands.report(run)), (1, FuzzCommands.resume(run)), (1, FuzzCommands.compare)]
      }),
      file("probe.json", 1, json, { _ in [(1, FuzzCommands.report(run)), (1, FuzzCommands.compare)] }),
      file("summary.json", 1, json, { _ in [(1, FuzzCommands.compare)] }),
      file("action-probe.safetensors", 2, safetensors, { rng in [(1, FuzzCommands.label(run, &rng))] }),
      FuzzTarget(name: "\(run)/(checkpoint pair swapped)", weight: 2, mutate: { fixture, rng in swapCheckpoints(run, fixture, &rng) },
                 commands: { rng, _ in FuzzCommands.some(&rng, [(3, FuzzCommands.resume(run)), (1, FuzzCommands.probe(run, &rng))]) }),
    ]
  }

  static func safetensors(_ path: String, _ data: Data, _ rng: inout FuzzRandom) -> FuzzMutation {
    if rng.chance(0.8), let (bytes, what) = SafetensorsMutator.mutate(data, &rng) {
      return FuzzMutation([.write(path, bytes)], "\(path): \(what)")
    }
    return ByteMutator.mutateFile(path, data, &rng)
  }

  /// split.json's episode lists edited: an index equal to the episode count, negative, repeated, moved to
  /// another list, a list cut short or emptied.
  static func splitMutation(_ path: String, _ data: Data, _ rng: inout FuzzRandom) -> FuzzMutation {
    guard rng.chance(0.7), case .object(var members)? = FuzzJSON.parse(data), !members.isEmpty else {
      return JSONMutator.mutateFile(path, data, &rng)
    }
    let l = rng.below(members.count)
    let list = members[l].key
    guard case .array(var items) = members[l].value else { return JSONMutator.mutateFile(path, data, &rng) }
    let what: String
    switch rng.below(7) {
    case 0:
      let value = rng.pick(["8", "-1", "9", "9223372036854775807", "-9223372036854775808", "1.5", "1e300"])
      items.append(.number(value))
      what = "\(list) gets \(value)"
    case 1 where !items.isEmpty:
      items.append(items[rng.below(items.count)])
      what = "\(list) repeats an episode"
    case 2 where !items.isEmpty:
      let moved = items.remove(at: rng.below(items.count))
      let other = (l + 1 + rng.below(max(1, members.count - 1))) % members.count
      if case .array(var others) = members[other].value {
        others.append(moved)
        members[other].value = .array(others)
      }
      what = "an episode of \(list) moved to \(members[other].key)"
    case 3 where !items.isEmpty:
      items.removeLast(rng.int(1...items.count))
      what = "\(list) cut to \(items.count)"
    case 4:
      items = []
      what = "\(list) emptied"
    case 5:
      items = (0..<8).map { .number(String($0)) }
      what = "\(list) holds every episode"
    default:
      items.reverse()
      what = "\(list) reversed"
    }
    members[l].value = .array(items)
    return FuzzMutation([.write(path, Data(FuzzJSON.object(members).text.utf8))], "\(path): \(what)")
  }

  /// metrics.jsonl: one line mutated as JSON, or lines removed, repeated, reordered, blank or cut.
  static func jsonLines(_ path: String, _ data: Data, _ rng: inout FuzzRandom) -> FuzzMutation {
    var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    guard !lines.isEmpty, rng.chance(0.8) else { return ByteMutator.mutateFile(path, data, &rng) }
    let i = rng.below(lines.count)
    let what: String
    switch rng.below(6) {
    case 0, 1, 2:
      guard let json = FuzzJSON.parse(lines[i]) else { return ByteMutator.mutateFile(path, data, &rng) }
      let preferred = ["step", "loss", "recon", "val_recon", "perplexity", "codes_used"].compactMap { json.pathOf([$0]) }
      let (text, change) = JSONMutator.mutate(json, &rng, preferring: preferred)
      lines[i] = text
      what = "line \(i + 1): \(change)"
    case 3:
      lines.remove(at: i)
      what = "line \(i + 1) removed"
    case 4:
      lines.insert(rng.pick(["", "{}", "null", "[", lines[i]]), at: i)
      what = "a line inserted before line \(i + 1)"
    default:
      lines.reverse()
      what = "lines reversed"
    }
    return FuzzMutation([.write(path, Data((lines.joined(separator: "\n") + "\n").utf8))], "\(path): \(what)")
  }

  /// The checkpoint or training state replaced by one of another step or another run.
  static func swapCheckpoints(_ run: String, _ fixture: FuzzFixture, _ rng: inout FuzzRandom) -> FuzzMutation {
    let other = runs.first { $0 != run }!
    let files = ["checkpoint.safetensors", "training-state.safetensors"]
    switch rng.below(4) {
    case 0:
      let f = rng.pick(files)
      return FuzzMutation([.write("\(run)/\(f)", fixture.files["run-step2/\(f)"]!)], "\(run)/\(f) from step 2 of run")
    case 1:
      let f = rng.pick(files)
      return FuzzMutation([.write("\(run)/\(f)", fixture.files["\(other)/\(f)"]!)], "\(run)/\(f) from \(other)")
    case 2:
      // A consistent pair of another run: only the run folder's config tells it apart.
      return FuzzMutation(files.map { .write("\(run)/\($0)", fixture.files["\(other)/\($0)"]!) }, "\(run)'s checkpoint pair from \(other)")
    default:
      return FuzzMutation(files.map { .write("\(run)/\($0)", fixture.files["run-step2/\($0)"]!) }, "\(run)'s checkpoint pair from step 2 of run")
    }
  }

  // MARK: - Config files and sweeps

  /// Environments that are within range field by field but impossible or extreme as a whole.
  static let envCombinations: [(String, [([String], String)])] = [
    ("1x1 grid with a distractor that may not overlap the agent", [(["grid"], #"{"width": 1, "height": 1}"#), (["distractors"], #"[{"count": 1, "overlapAgent": false}]"#)]),
    ("one-cell regions shared, teleport p 1, no overlap", [(["agent", "region"], #"{"height": 1, "width": 1}"#), (["distractors"], #"[{"count": 3, "region": {"height": 1, "width": 1}, "policy": {"kind": "teleport", "p": 1}, "overlapAgent": false}]"#)]),
    ("512x512 RGB frames with per-pixel noise", [(["grid"], #"{"width": 64, "height": 64, "cellSize": 8, "channels": 3}"#), (["noise"], #"[{"kind": "gaussian", "unit": "pixel", "perChannel": true}]"#)]),
    ("544-pixel-wide frames", [(["grid", "width"], "17"), (["grid", "cellSize"], "32")]),
    ("shake of 16 px on 2-px frames", [(["grid"], #"{"width": 1, "height": 1, "cellSize": 2}"#), (["shake"], #"{"maxPixels": 16, "probability": 1}"#)]),
    ("320 distractors", [(["distractors"], "[" + Array(repeating: #"{"count": 64, "overlapAgent": true}"#, count: 5).joined(separator: ",") + "]")]),
    ("start outside the agent region", [(["agent", "region"], #"{"height": 2, "width": 2}"#), (["agent", "start"], #"{"row": 3, "col": 3}"#)]),
    ("noise region outside the grid", [(["noise"], #"[{"kind": "bernoulli", "region": {"row": 3, "col": 3, "height": 2, "width": 2}}]"#)]),
    ("3-channel colour on a 1-channel grid", [(["agent", "color"], "[1, 0, 0]")]),
    ("snake path on a 1x1 region, correlated policy", [(["agent", "region"], #"{"height": 1, "width": 1}"#), (["agent", "policy"], #"{"kind": "correlated", "chi": 1}"#)]),
  ]

  /// One of `combinations` (named sets of field edits, each field valid alone but not together) applied to
  /// the JSON `file` holding `data`; nil when the file does not parse.
  static func combination(_ file: String, _ data: Data, _ combinations: [(String, [([String], String)])],
                          _ rng: inout FuzzRandom) -> FuzzMutation? {
    guard var result = FuzzJSON.parse(data) else { return nil }
    let (name, fields) = rng.pick(combinations)
    for (keys, value) in fields { result = result.setting(keys, to: FuzzJSON.parse(value)!) }
    return FuzzMutation([.write(file, Data(result.text.utf8))], "\(file): \(name)")
  }

  static let envTarget = FuzzTarget(name: "env.json", weight: 8, mutate: { fixture, rng in
    let data = fixture.files["env.json"]!
    if rng.chance(0.25), let mutation = combination("env.json", data, envCombinations, &rng) { return mutation }
    let preferred = [["grid", "width"], ["grid", "height"], ["grid", "cellSize"], ["grid", "channels"], ["grid", "background"],
                     ["agent", "region"], ["agent", "start"], ["agent", "policy"], ["agent", "color"], ["distractors"],
                     ["noise"], ["shake", "maxPixels"], ["shake", "probability"]]
    return JSONMutator.mutateFile("env.json", data, &rng, preferring: preferred)
  }, commands: { rng, _ in
    FuzzCommands.some(&rng, [(3, FuzzCommands.generate), (2, FuzzCommands.framesEnv), (1, FuzzCommands.sweepList(&rng))])
  })

  static let runConfigTarget = FuzzTarget(name: "train-config.json", weight: 6, mutate: { fixture, rng in
    RunConfigMutator.mutateFile("train-config.json", fixture.files["train-config.json"]!, &rng)
  }, commands: { _, _ in [FuzzCommands.trainConfig] })

  static let sweepCombinations: [(String, [([String], String)])] = [
    ("condition names repeated", [(["conditions"], #"[{"name": "a", "env": "env.json"}, {"name": "a", "env": "env.json"}]"#)]),
    ("a condition named '..'", [(["conditions"], #"[{"name": "..", "env": "env.json"}]"#)]),
    ("a condition named 'a\\nb'", [(["conditions"], #"[{"name": "a\nb", "env": "env.json"}]"#)]),
    ("a condition named 'a/b'", [(["conditions"], #"[{"name": "a/b", "env": "env.json"}]"#)]),
    ("env is a folder", [(["conditions"], #"[{"name": "a", "env": "ds/"}]"#)]),
    ("env is the spec itself", [(["conditions"], #"[{"name": "a", "env": "sweep.json"}]"#)]),
    ("env is /dev/null", [(["conditions"], #"[{"name": "a", "env": "/dev/null"}]"#)]),
    ("set of train.seed", [(["conditions"], #"[{"name": "a", "env": "env.json", "set": {"train.seed": 3}}]"#)]),
    ("set of an unknown path", [(["conditions"], #"[{"name": "a", "env": "env.json", "set": {"model.bottleneck.kind.x": 3}}]"#)]),
    ("no seeds", [(["seeds"], "[]")]),
    ("seeds repeated", [(["seeds"], "[1, 1]")]),
    ("seed 2^64 - 1", [(["seeds"], "[18446744073709551615]")]),
    ("finding of an unknown condition", [(["findings"], #"[{"claim": "x", "metric": "val_recon", "from": "nope", "to": "labels", "expect": "lower"}]"#)]),
    ("finding of a metric not collected", [(["metrics"], #"["val_recon"]"#), (["findings"], #"[{"claim": "x", "metric": "code_nmi", "condition": "labels", "expect": "lowest"}]"#)]),
    ("finding with among lacking its condition", [(["findings"], #"[{"claim": "x", "metric": "val_recon", "condition": "labels", "expect": "lowest", "among": ["file-env"]}]"#)]),
    ("a model of 550 GB", [(["base", "model"], #"{"hidden": 65536, "depth": 16}"#)]),
    ("data of 10^7 episodes", [(["data", "episodes"], "10000000"), (["data", "steps"], "100000")]),
  ]

  static let sweepSpecTarget = FuzzTarget(name: "sweep.json", weight: 4, mutate: { fixture, rng in
    let data = fixture.files["sweep.json"]!
    if rng.chance(0.3), let mutation = combination("sweep.json", data, sweepCombinations, &rng) { return mutation }
    let preferred = [["data", "episodes"], ["data", "steps"], ["quick"], ["conditions"], ["seeds"], ["probe"], ["metrics"], ["findings"], ["base"]]
    return JSONMutator.mutateFile("sweep.json", data, &rng, preferring: preferred)
  }, commands: { rng, _ in
    FuzzCommands.some(&rng, [(4, FuzzCommands.sweepList(&rng)), (1, FuzzCommands.sweepEmit(&rng))])
  })

  /// The sweep folder's sweep.json: read by `collect`, and compared with the spec by `emit` into the folder.
  static let sweepFolderTarget = FuzzTarget(name: "sw/sweep.json", weight: 2, mutate: { fixture, rng in
    JSONMutator.mutateFile("sw/sweep.json", fixture.files["sw/sweep.json"]!, &rng, preferring: [["spec"], ["quick"], ["specFile"]])
  }, commands: { rng, _ in
    FuzzCommands.some(&rng, [(2, FuzzCommands.sweepCollect), (1, ["sweep", "emit", "sweep.json", "--out", "sw", "--slurm", "--quick"])])
  })

  /// A finished sweep run's probe.json or summary.json, as `sweep collect` reads them.
  static let sweepRunFilesTarget = FuzzTarget(name: "sw/runs/*/{probe,summary}.json", weight: 2, mutate: { fixture, rng in
    let candidates = fixture.paths.filter { $0.hasPrefix("sw/runs/") && ($0.hasSuffix("/probe.json") || $0.hasSuffix("/summary.json")) }
    let path = rng.pick(candidates)
    return JSONMutator.mutateFile(path, fixture.files[path]!, &rng)
  }, commands: { rng, _ in FuzzCommands.some(&rng, [(2, FuzzCommands.sweepCollect), (1, FuzzCommands.sweepCollectReports)]) })
}
