import Foundation

/// Bad values of the commands' numeric flags: negative, zero, huge, not numbers. The huge ones are all past
/// every documented limit, so a value lam accepts never asks for hours of work (which would look like a hang).
enum FuzzFlags {
  static let values = [
    "-1", "0", "-0", "1e300", "-1e300", "100000000000000000000", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "18446744073709551616", "4294967296", "nan", "NaN", "inf", "-inf", "", " ", "abc",
    "1.5", "0x10", "+1", "1_000", "\u{0663}", "1e-320", "--", "-", "2e0",
  ]
  static let ranges = [
    "-1:2", "2:1", "0:99999999999999999999", "a:b", ":", "", "0:-1", "1e300:2", "0:4", "0:5", "1:", "1", "0:2:3",
    " 0:2", "9223372036854775807:9223372036854775807", "-9223372036854775808:0", "\u{0663}:\u{0664}",
  ]
  static let times = ["", "25:00:00", "-1:00:00", "99999999999999999999:00:00", "1:2", "aa:bb:cc", "00:60:00", "0:0:0", "1:00:00:00", "\n"]

  /// Config paths `--set` can reach with a number (train.steps is left out: any count is legal, and a huge
  /// one is a long run, not a bug).
  static let setPaths = [
    "model.hidden", "model.depth", "model.channels", "model.encoderHidden", "model.latentEmbed", "model.unet.widths",
    "model.unet.idmHidden", "model.unet.latentEmbed", "model.bottleneck.dz",
    "model.bottleneck.noiseStd", "model.bottleneck.l2", "model.bottleneck.codes", "model.bottleneck.commitment",
    "model.bottleneck.emaDecay", "model.bottleneck.restartThreshold", "model.bottleneck.beta", "model.bottleneck.replaceEvery",
    "model.bottleneck.levels", "model.bottleneck.warmup", "train.batch", "train.lr", "train.weightDecay",
    "train.gradClip", "train.seed", "train.threads", "train.valFraction", "train.logEvery", "train.evalEvery",
    "train.checkpointEvery", "remedies.kappa", "remedies.labelFraction", "remedies.labelWeight", "remedies.cleanFraction",
  ]
  static let setOddities = [
    "model.hidden", "=5", "model..hidden=5", "model.hidden.x=5", "model=5", "train.steps=", ".=1", "model.bottleneck={}",
    "model.channels=[4096,4096,4096]", "model.channels=[]", "model.channels=[0]", "remedies=null", "=",
    "model.bottleneck.levels=[256,256,256]", "model.bottleneck.levels=[]", "model.bottleneck.kind=fsq",
    "model.bottleneck.levels=[1.5]",
  ]

  /// A command and its numeric flags: each flag's value when it is not the one fuzzed (nil: left out).
  struct Template {
    let name: String
    let arguments: [String]
    let flags: [(String, String?)]
  }

  static let templates: [Template] = [
    Template(name: "generate", arguments: ["generate", "--env", "env.json", "--out", "out-ds"],
             flags: [("--episodes", "2"), ("--steps", "2"), ("--seed", nil), ("--threads", nil)]),
    Template(name: "frames --data", arguments: ["frames", "--data", "ds", "--out", "out-frames"],
             flags: [("--episode", nil), ("--range", nil), ("--scale", "2")]),
    Template(name: "frames --env", arguments: ["frames", "--env", "env.json", "--out", "out-frames"],
             flags: [("--seed", nil), ("--steps", "2"), ("--range", nil), ("--scale", "2")]),
    Template(name: "train", arguments: ["train", "--data", "ds", "--out", "out-run", "--set", "model.hidden=16"],
             flags: [("--steps", "2"), ("--batch", "4"), ("--lr", nil), ("--seed", nil), ("--threads", nil), ("--dz", nil),
                     ("--codes", nil), ("--label-fraction", nil), ("--clean-fraction", nil), ("--set", nil)]),
    Template(name: "train --resume", arguments: ["train", "--resume", "run"], flags: [("--steps", "6")]),
    Template(name: "probe", arguments: ["probe", "--run", "run"], flags: [("--epochs", "1"), ("--max-train", nil), ("--threads", nil)]),
    Template(name: "report", arguments: ["report", "--run", "run", "--out", "out-report"], flags: [("--pairs", "5"), ("--seed", nil)]),
    Template(name: "sweep emit", arguments: ["sweep", "emit", "sweep.json", "--out", "out-sweep", "--slurm"],
             flags: [("--cpus", nil), ("--time", nil)]),
    Template(name: "sweep one", arguments: ["sweep", "one", "sweep.json", "--out", "sw", "--quick"], flags: [("--index", "0"), ("--threads", nil)]),
    Template(name: "sweep run", arguments: ["sweep", "run", "sweep.json", "--out", "sw", "--quick"], flags: [("--jobs", nil), ("--threads", nil)]),
  ]

  static var targets: [FuzzTarget] {
    templates.map { template in
      FuzzTarget(name: "flags:\(template.name)", weight: template.name == "train" ? 3 : 1, mutate: { _, rng in
        let (flag, _) = rng.pick(template.flags)
        let value: String
        switch flag {
        case "--range": value = rng.pick(ranges)
        case "--time": value = rng.pick(times)
        case "--set": value = rng.chance(0.2) ? rng.pick(setOddities) : rng.pick(setPaths) + "=" + rng.pick(values + ["[]", "[0]", "{}", "null", "true", "\"x\""])
        default: value = rng.pick(values)
        }
        // Both spellings: `--flag value` goes through lam's joining of negative numbers, `--flag=value` does not.
        let joined = rng.chance(0.3)
        var arguments = template.arguments
        for (other, fallback) in template.flags where other != flag {
          if let fallback { arguments += [other, fallback] }
        }
        arguments += joined ? ["\(flag)=\(value)"] : [flag, value]
        var mutation = FuzzMutation([], joined ? "\(flag)=\(value.debugDescription)" : "\(flag) \(value.debugDescription)")
        mutation.command = arguments
        return mutation
      }, commands: { _, mutation in [mutation.command!] })
    }
  }
}
