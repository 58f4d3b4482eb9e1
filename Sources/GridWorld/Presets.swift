import Core
import Foundation

/// The environment presets: JSON configs in the package's environments/ folder.
public enum Presets {
  /// A preset's name (its file name without .json), one-line description and path.
  public struct Entry: Hashable, Sendable {
    public let name: String
    public let description: String
    public let path: String
  }

  /// The environments/ folders to search, in order: the current directory's, then the nearest one found
  /// walking up (at most 4 levels) from the executable's folder, with and without symlinks resolved, so a
  /// `lam` built in .build/release finds the package's presets from anywhere. Only existing folders.
  public static func searchFolders(currentDirectory: String, executablePath: String?) -> [String] {
    var candidates = [URL(fileURLWithPath: currentDirectory).appendingPathComponent("environments")]
    if let executablePath {
      let exe = URL(fileURLWithPath: executablePath, relativeTo: URL(fileURLWithPath: currentDirectory))
      for start in [exe.standardizedFileURL, exe.resolvingSymlinksInPath()] {
        var dir = start.deletingLastPathComponent()
        for _ in 0..<4 {
          candidates.append(dir.appendingPathComponent("environments"))
          dir = dir.deletingLastPathComponent()
        }
      }
    }
    var result: [String] = []
    for url in candidates {
      let path = url.standardizedFileURL.path
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue, !result.contains(path) {
        result.append(path)
      }
    }
    return result
  }

  /// The presets in the first of `folders` that exists, sorted by name. A preset that fails to load is
  /// listed with its error as the description.
  public static func list(in folders: [String]) -> [Entry] {
    guard let folder = folders.first,
      let names = try? FileManager.default.contentsOfDirectory(atPath: folder)
    else { return [] }
    return names.filter { $0.hasSuffix(".json") }.map { file in
      let path = "\(folder)/\(file)"
      let description: String
      do {
        description = try StrictJSON.load(EnvironmentConfig.self, from: path).description
      } catch {
        description = "(invalid: \(error))"
      }
      return Entry(name: String(file.dropLast(5)), description: description, path: path)
    }.sorted { $0.name < $1.name }
  }

  /// Loads `nameOrPath`: a JSON file if one exists at that path, else the preset of that name (with or
  /// without .json) in the first of `folders` that has it. Returns the config and where it came from.
  public static func resolve(_ nameOrPath: String, in folders: [String]) throws -> (config: EnvironmentConfig, source: String) {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isFolder), !isFolder.boolValue {
      return (try StrictJSON.load(EnvironmentConfig.self, from: nameOrPath), nameOrPath)
    }
    let name = nameOrPath.hasSuffix(".json") ? String(nameOrPath.dropLast(5)) : nameOrPath
    if !name.contains("/") {
      for folder in folders where FileManager.default.fileExists(atPath: "\(folder)/\(name).json") {
        return (try StrictJSON.load(EnvironmentConfig.self, from: "\(folder)/\(name).json"), name)
      }
    }
    guard !folders.isEmpty else {
      throw LamError("--env \(nameOrPath): no such file, and no environments/ folder found to look for a preset of that name")
    }
    let known = list(in: folders).map(\.name).joined(separator: ", ")
    throw LamError("--env \(nameOrPath): no such file or preset (presets in \(folders[0]): \(known))")
  }
}
