import ArgumentParser
import Foundation
import GridWorld

/// `lam envs`: the environment presets and their one-line descriptions.
struct EnvsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "envs",
    abstract: "List the grid-world environment presets (environments/*.json) with their descriptions.")

  func run() throws {
    let folders = presetFolders()
    guard let folder = folders.first else {
      throw ValidationError("no environments/ folder found (looked in the current directory and above the lam executable)")
    }
    let entries = Presets.list(in: folders)
    let width = entries.map(\.name.count).max() ?? 0
    print("presets in \(folder):")
    for entry in entries {
      print("  " + entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + entry.description)
    }
  }
}

/// The folders `--env NAME` and `lam envs` search for presets.
func presetFolders() -> [String] {
  Presets.searchFolders(
    currentDirectory: FileManager.default.currentDirectoryPath,
    executablePath: CommandLine.arguments.first)
}
