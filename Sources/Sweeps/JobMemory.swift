import Core
import GridWorld
import LAM

/// The memory a Slurm job asks for (`--mem`), from the estimates lam checks before it allocates: a run
/// holds its datasets twice while reading them (the files' bytes, then the arrays) and the model with a
/// batch in flight (weights, gradients, Adam's moments, activations); the data job holds the largest
/// dataset twice (the arrays, then the file being written). Jobs ask for 1.5x that plus 512 MiB for the
/// process itself, rounded up to whole MiB, so that Slurm does not kill a run that the estimate undercounts.
public enum SweepJobMemory {
  static let mebibyte = 1 << 20

  /// `bytes` * 1.5 + 512 MiB, in MiB rounded up; nil when it does not fit in an Int.
  public static func megabytes(_ bytes: Int?) -> Int? {
    guard let bytes, let total = Sizes.sum([bytes, bytes / 2, 512 * mebibyte]) else { return nil }
    return (total + mebibyte - 1) / mebibyte
  }

  /// Bytes of one dataset's arrays.
  static func arrays(_ data: SweepPlan.DataSet) -> Int? {
    Dataset.arrayBytes(episodes: data.episodes, steps: data.steps, frameShape: data.environment.grid.frameShape,
                       distractors: data.environment.distractorCount)
  }

  /// The estimate for one run, in bytes (before the margin).
  public static func runBytes(_ run: SweepPlan.Run, in plan: SweepPlan) -> Int? {
    let folders = [run.data] + (run.evalData.map { [$0] } ?? [])
    let datasets = folders.compactMap { folder in plan.datasets.first { $0.folder == folder } }
    guard let data = datasets.first else { return nil }
    let shape = data.environment.grid.frameShape
    let frame = FrameShape(channels: shape[0], height: shape[1], width: shape[2])
    let model = run.config.model.estimatedBytes(frame: frame, batch: run.config.train.batch, training: true)
    return Sizes.sum(datasets.map { arrays($0).flatMap { Sizes.product([$0, 2]) } } + [model])
  }

  /// MiB for the array job: the largest run's estimate with the margin.
  public static func runs(_ plan: SweepPlan) -> Int? {
    plan.runs.reduce(Optional(0)) { most, run in
      guard let most, let mb = megabytes(runBytes(run, in: plan)) else { return nil }
      return max(most, mb)
    }
  }

  /// MiB for the data job: the largest dataset's arrays twice, with the margin.
  public static func data(_ plan: SweepPlan) -> Int? {
    plan.datasets.reduce(Optional(0)) { most, data in
      guard let most, let mb = megabytes(arrays(data).flatMap { Sizes.product([$0, 2]) }) else { return nil }
      return max(most, mb)
    }
  }
}
