import Core
import GridWorld
import LAM

/// The memory a Slurm job asks for (`--mem`), from the estimates lam checks before it allocates: a run
/// holds its datasets' record arrays twice while reading them (the files' bytes, then the arrays), their
/// frames twice too when they are small enough to be read whole (`FrameStore.inMemoryBytes`; larger frames
/// stay in frames.npy and are read batch by batch), and the model with a batch in flight (weights,
/// gradients, Adam's moments, activations); the data job holds the largest dataset's record arrays and one
/// piece of its frames twice (the arrays, then the file being written). Jobs ask for 1.5x that plus 512 MiB
/// for the process itself, rounded up to whole MiB, so that Slurm does not kill a run that the estimate
/// undercounts.
public enum SweepJobMemory {
  static let mebibyte = 1 << 20

  /// `bytes` * 1.5 + 512 MiB, in MiB rounded up; nil when it does not fit in an Int.
  public static func megabytes(_ bytes: Int?) -> Int? {
    guard let bytes, let total = Sizes.sum([bytes, bytes / 2, 512 * mebibyte]) else { return nil }
    return (total + mebibyte - 1) / mebibyte
  }

  /// Bytes of one dataset's record arrays (every array but the frames) and of its frames.
  static func arrays(_ data: SweepPlan.DataSet) -> (records: Int, frames: Int)? {
    let count = { (names: [String]) in
      Dataset.arrayBytes(names, episodes: data.episodes, steps: data.steps, frameShape: data.environment.grid.frameShape,
                         distractors: data.environment.distractorCount)
    }
    guard let records = count(Dataset.recordArrayNames), let frames = count(["frames"]) else { return nil }
    return (records, frames)
  }

  /// Bytes a run holds of one dataset while reading it: the records twice, and the frames twice if they are read whole.
  static func held(_ data: SweepPlan.DataSet) -> Int? {
    guard let a = arrays(data) else { return nil }
    return Sizes.sum([a.records, a.frames <= FrameStore.inMemoryBytes ? a.frames : 0]).flatMap { Sizes.product([$0, 2]) }
  }

  /// The estimate for one run, in bytes (before the margin).
  public static func runBytes(_ run: SweepPlan.Run, in plan: SweepPlan) -> Int? {
    let folders = [run.data] + (run.evalData.map { [$0] } ?? [])
    let datasets = folders.compactMap { folder in plan.datasets.first { $0.folder == folder } }
    guard let data = datasets.first else { return nil }
    let shape = data.environment.grid.frameShape
    let frame = FrameShape(channels: shape[0], height: shape[1], width: shape[2])
    let model = run.config.model.estimatedBytes(frame: frame, batch: run.config.train.batch, training: true)
    return Sizes.sum(datasets.map(held) + [model])
  }

  /// MiB for the array job: the largest run's estimate with the margin.
  public static func runs(_ plan: SweepPlan) -> Int? {
    plan.runs.reduce(Optional(0)) { most, run in
      guard let most, let mb = megabytes(runBytes(run, in: plan)) else { return nil }
      return max(most, mb)
    }
  }

  /// MiB for the data job: the largest dataset's records and one piece of its frames, twice, with the margin.
  public static func data(_ plan: SweepPlan) -> Int? {
    plan.datasets.reduce(Optional(0)) { most, data in
      let bytes = arrays(data).flatMap { a in
        // A piece is whole episodes of about framePieceBytes: at most that plus one episode.
        Sizes.sum([a.records, min(a.frames, Dataset.framePieceBytes + a.frames / max(data.episodes, 1))])
          .flatMap { Sizes.product([$0, 2]) }
      }
      guard let most, let mb = megabytes(bytes) else { return nil }
      return max(most, mb)
    }
  }
}
