import Core
import Foundation
import GridWorld
import Testing

/// The package's environments/ folder, found from this file's path.
let presetFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("environments").path

func preset(_ name: String) throws -> EnvironmentConfig {
  try Presets.resolve(name, in: [presetFolder]).config
}

/// The error message decoding `json` gives (empty if it decodes).
func configError(_ json: String) -> String {
  do {
    _ = try StrictJSON.decode(EnvironmentConfig.self, from: Data(json.utf8), source: "env.json")
    return ""
  } catch {
    return "\(error)"
  }
}

@Test func everyPresetLoadsWithADescription() throws {
  let entries = Presets.list(in: [presetFolder])
  #expect(
    entries.map(\.name) == [
      "camera-shake-8x8", "distractors-8x8", "paper-4x4-agent", "paper-4x4-agent-strong", "paper-4x4-clean",
      "paper-4x4-correlated", "paper-4x4-noise-high", "paper-4x4-noise-low",
    ])
  for entry in entries {
    #expect(!entry.description.isEmpty && !entry.description.hasPrefix("(invalid"), "\(entry.name)")
  }
}

@Test func paperPresetsHaveTheHalvedIntensitiesOfSection5() throws {
  let low = try preset("paper-4x4-noise-low")
  #expect(low.grid.frameShape == [1, 4, 4])
  #expect(low.agentRegion == Region(row: 0, col: 0, height: 3, width: 4))
  #expect(low.agent.color == Color(gray: 0.5))
  #expect(low.agent.start == .centre)
  #expect(low.noise == [Noise(.bernoulli(p: 0.5, intensity: 0.5), unit: .cell, region: Region(row: 3, col: 0, height: 1, width: 4))])
  #expect(try preset("paper-4x4-noise-high").noise.first?.distribution == .bernoulli(p: 0.5, intensity: 1))
  #expect(try preset("paper-4x4-clean").noise.isEmpty)
  #expect(try preset("paper-4x4-correlated").agent.policy == .correlated(chi: 0.95))
  #expect(try preset("paper-4x4-agent").distractors.first?.color == Color(gray: 0.5))
  #expect(try preset("paper-4x4-agent-strong").distractors.first?.color == Color(gray: 1))
  #expect(try preset("distractors-8x8").grid.frameShape == [3, 32, 32])
  #expect(try preset("distractors-8x8").distractorCount == 3)
  #expect(try preset("camera-shake-8x8").shake.isActive)
}

@Test func anEmptyObjectGivesTheDocumentedDefaults() throws {
  let config = try StrictJSON.decode(EnvironmentConfig.self, from: Data("{}".utf8), source: "env.json")
  #expect(config == EnvironmentConfig())
  #expect(config.grid == GridConfig(width: 4, height: 4, cellSize: 1, channels: 1, background: Color(gray: 0)))
  #expect(config.agentRegion == Region(row: 0, col: 0, height: 4, width: 4))
  #expect(config.agent.policy == .uniform)
  #expect(config.episodeLength == 32)
  #expect(!config.shake.isActive)
}

@Test func configsRoundTripThroughJSON() throws {
  for name in ["distractors-8x8", "camera-shake-8x8", "paper-4x4-correlated"] {
    let config = try preset(name)
    let again = try StrictJSON.decode(EnvironmentConfig.self, from: StrictJSON.encode(config), source: name)
    #expect(again == config)
  }
  var custom = EnvironmentConfig()
  custom.agent.start = .cell(Cell(row: 1, col: 2))
  custom.agent.policy = .sticky(p: 0.3)
  custom.distractors = [
    DistractorGroup(count: 2, policy: .teleport(p: 0.2), overlapAgent: true),
    DistractorGroup(policy: .constant(direction: .up, edge: .wrap)),
  ]
  custom.noise = [Noise(.gaussian(std: 0.2), unit: .pixel, perChannel: true), Noise(.uniform(std: 0.1))]
  let again = try StrictJSON.decode(EnvironmentConfig.self, from: StrictJSON.encode(custom), source: "custom")
  #expect(again == custom)
}

@Test func anUnknownKeyIsRejectedWithItsName() {
  #expect(configError(#"{"episodeLenght": 10}"#).contains("unknown key 'episodeLenght'"))
  #expect(configError(#"{"agent": {"colour": 0.5}}"#).contains("field 'agent.colour': unknown key 'colour'"))
  #expect(configError(#"{"distractors": [{"speed": 2}]}"#).contains("field 'distractors[0].speed'"))
}

@Test func aParameterOfAnotherKindIsRejected() {
  let message = configError(#"{"agent": {"policy": {"kind": "uniform", "p": 0.5}}}"#)
  #expect(message.contains("field 'agent.policy.p': unknown key 'p' for kind 'uniform'"))
}

@Test func anUnknownKindIsRejectedWithTheChoices() {
  let message = configError(#"{"noise": [{"kind": "salt"}]}"#)
  #expect(message.contains("field 'noise[0].kind': unknown kind 'salt' (expected one of: bernoulli, gaussian, uniform)"))
  #expect(configError(#"{"distractors": [{"policy": {"kind": "constant", "direction": "north"}}]}"#)
    .contains("unknown direction 'north'"))
}

@Test func anOutOfRangeValueNamesItsField() {
  #expect(configError(#"{"grid": {"channels": 2}}"#) == "env.json: grid.channels: expected 1 or 3, got 2")
  #expect(configError(#"{"grid": {"width": 0}}"#) == "env.json: grid.width: expected a value in 1...64, got 0")
  #expect(configError(#"{"noise": [{"kind": "bernoulli", "p": 1.5}]}"#) == "env.json: noise[0].p: expected a value in 0.0...1.0, got 1.5")
  #expect(configError(#"{"agent": {"policy": {"kind": "correlated", "chi": -0.1}}}"#).contains("agent.policy.chi"))
  #expect(configError(#"{"shake": {"maxPixels": 40, "probability": 0.5}}"#).contains("shake.maxPixels"))
  #expect(configError(#"{"episodeLength": 0}"#).contains("episodeLength"))
  #expect(configError(#"{"distractors": [{"count": 0}]}"#).contains("distractors[0].count"))
}

@Test func aValueOfTheWrongTypeNamesItsField() {
  #expect(configError(#"{"grid": {"width": "four"}}"#) == "env.json: field 'grid.width': expected an integer")
  #expect(configError(#"{"agent": {"color": "red"}}"#).contains("field 'agent.color': expected a number or an array of numbers"))
  #expect(configError("{").contains("not valid JSON"))
}

@Test func aColourWithTheWrongChannelCountIsRejected() {
  let message = configError(#"{"grid": {"channels": 3}, "agent": {"color": [1, 0]}}"#)
  #expect(message == "env.json: agent.color: expected 1 value or 3 (one per channel), got 2")
  #expect(configError(#"{"grid": {"background": 1.5}}"#).contains("grid.background"))
  #expect(configError(#"{"grid": {"channels": 3}, "agent": {"color": [1, 0, 2]}}"#).contains("agent.color[2]"))
}

@Test func aRegionOutsideTheGridIsRejected() {
  let message = configError(#"{"distractors": [{"region": {"row": 3, "height": 2, "width": 4}}]}"#)
  #expect(message == "env.json: distractors[0].region.row: expected a value in 0...2, got 3")
  #expect(configError(#"{"noise": [{"kind": "gaussian", "region": {"height": 1, "width": 9}}]}"#).contains("noise[0].region.width"))
  #expect(configError(#"{"agent": {"region": {"col": 1, "height": 1}}}"#).contains("missing required field 'width'"))
}

@Test func aStartOutsideTheAgentsRegionIsRejected() {
  let message = configError(#"{"agent": {"region": {"height": 3, "width": 4}, "start": {"row": 3, "col": 0}}}"#)
  #expect(message == "env.json: agent.start: expected a cell inside agent.region, got row 3, col 0")
  #expect(configError(#"{"agent": {"start": "middle"}}"#).contains("unknown start 'middle'"))
}

@Test func aNonOverlappingSingleCellDistractorInTheAgentsRegionIsRejected() {
  let message = configError(#"{"distractors": [{"region": {"row": 1, "col": 1, "height": 1, "width": 1}}]}"#)
  #expect(message.contains("distractors[0].region: expected more than one cell when overlapAgent is false"))
}

@Test func anUnknownPresetListsTheKnownOnes() {
  #expect(throws: LamError.self) { try Presets.resolve("paper-4x4-nosie", in: [presetFolder]) }
  do {
    _ = try Presets.resolve("paper-4x4-nosie", in: [presetFolder])
  } catch {
    #expect("\(error)".contains("no such file or preset"))
    #expect("\(error)".contains("paper-4x4-noise-low"))
  }
}

@Test func distractorsAreNamedByTheirGroupsNameOrColourNumberedWithinAGroup() throws {
  #expect(try preset("distractors-8x8").distractorNames == ["red", "green", "blue"])
  #expect(try preset("paper-4x4-agent").distractorNames == ["grey"])
  var config = try preset("distractors-8x8")
  config.distractors[0].count = 2
  config.distractors[1].name = "sticky"
  config.distractors[2].color = Color([0.9, 0.1, 0])  // red again: the groups are told apart
  #expect(config.distractorNames == ["red (group 1) 1", "red (group 1) 2", "sticky", "red (group 3)"])
}

@Test func aDistractorNameMustBeOneShortLine() throws {
  let json = #"{"grid": {"width": 4, "height": 4}, "distractors": [{"name": "a\nb"}]}"#
  #expect(throws: LamError("distractors[0].name: expected 1 to 40 characters on one line, without quotes")) {
    _ = try JSONDecoder().decode(EnvironmentConfig.self, from: Data(json.utf8))
  }
}
