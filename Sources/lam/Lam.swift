import ArgumentParser

@main
struct Lam: ParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "lam",
    abstract: "Generate grid-world videos, train latent action models on them, and probe what the latents hold.",
    version: version,
    subcommands: [
      EnvsCommand.self, GenerateCommand.self, FramesCommand.self, TrainCommand.self, ProbeCommand.self,
      EncodeCommand.self, ReportCommand.self, BenchCommand.self, LinearCommand.self, SweepCommand.self,
    ])
}
