import Core
import Foundation
import Testing

/// The error `JSON.parse` throws for `text`, or nil (and a recorded issue) if it throws none.
private func syntaxError(_ text: String) -> JSON.SyntaxError? {
  #expect(throws: JSON.SyntaxError.self) { try JSON.parse(Array(text.utf8)) }
}

@Test func parserKeepsKeyOrderAndExactNumberText() throws {
  let value = try JSON.parse(Array(#" {"b": 9007199254740993, "a": [1.50e3, -0], "c": {}} "#.utf8))
  guard case .object(let members) = value, case .array(let numbers) = members[1].value else {
    Issue.record("expected an object holding an array, got \(value.kind)")
    return
  }
  #expect(members.map(\.key) == ["b", "a", "c"])
  // 2^53 + 1 has no Double; read through the literal text it stays exact.
  #expect(members[0].value.integer == .value(9_007_199_254_740_993))
  if case .number(let text) = numbers[0] { #expect(text == "1.50e3") } else { Issue.record("expected a number") }
  #expect(numbers[0].integer == .notAnInteger)
  #expect(numbers[1].integer == .value(0))
  #expect(try JSON.parse(Array("18446744073709551616".utf8)).integer == .tooLarge)
}

@Test func duplicateKeyAtTopLevelIsRefusedNamingTheField() {
  let error = syntaxError(#"{"steps": 5, "steps": 500}"#)
  #expect(error?.message == "field 'steps' appears twice")
  #expect(error?.isDuplicateKey == true)
}

@Test func duplicateKeyInANestedObjectIsRefusedWithItsDottedPath() {
  #expect(syntaxError(#"{"train": {"steps": 5, "lr": 0.1, "steps": 500}}"#)?.message == "field 'train.steps' appears twice")
  // The same key in two different objects is not a duplicate.
  #expect(throws: Never.self) { try JSON.parse(Array(#"{"a": {"x": 1}, "b": {"x": 2}}"#.utf8)) }
}

@Test func duplicateKeyInsideAnArrayElementIsRefusedWithItsIndex() {
  let text = #"{"conditions": [{"name": "a"}, {"name": "b"}, {"name": "c", "name": "d"}]}"#
  #expect(syntaxError(text)?.message == "field 'conditions[2].name' appears twice")
  #expect(syntaxError(#"[[], {"a": 1, "a": 2}]"#)?.message == "field '[1].a' appears twice")
}

@Test func duplicateKeyWithALineBreakIsNamedOnOneLine() {
  #expect(syntaxError(#"{"a\nb": 1, "a\nb": 2}"#)?.message == #"field 'a\nb' appears twice"#)
}

@Test func syntaxErrorsGiveTheBytePosition() {
  let error = syntaxError(#"{"a": tru}"#)
  #expect(error?.message == "expected 'true' at byte 9")
  #expect(error?.isDuplicateKey == false)
  #expect(syntaxError("{\"a\": \u{201C}x\u{201D}}")?.message == "unexpected character '\u{201C}' at byte 6")
  #expect(syntaxError("[1] x")?.message == "unexpected text after the JSON value at byte 4")
}

@Test func bytesThatAreNotUTF8AreRefused() {
  #expect(throws: JSON.SyntaxError.self) { try JSON.parse(Array(#"{"a": ""#.utf8) + [0xFF] + Array(#""}"#.utf8)) }
  let error = #expect(throws: JSON.SyntaxError.self) { try JSON.parse([0xC3, 0x28]) }
  #expect(error?.message == "unexpected byte 0xC3 at byte 0")
}

@Test func nestingDeeperThanTheLimitIsRefusedWithoutACrash() throws {
  let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
  #expect(syntaxError(deep)?.message == "nested deeper than 64 levels at byte 64")
  #expect(syntaxError(String(repeating: #"{"a":"#, count: 100_000))?.message.hasPrefix("nested deeper than 64 levels") == true)
  // 64 levels are accepted.
  _ = try JSON.parse(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8))
}

private struct Config: Decodable, Equatable {
  struct Train: Decodable, Equatable { let steps: Int }
  let train: Train
}

@Test func decodeRefusesADuplicateKeyNamingTheSourceAndField() {
  #expect(throws: LamError("x.json: field 'train.steps' appears twice")) {
    try StrictJSON.decode(Config.self, from: Data(#"{"train": {"steps": 5, "steps": 500}}"#.utf8), source: "x.json")
  }
  #expect(throws: LamError("x.json: not valid JSON (unexpected end of the text in an object at byte 21)")) {
    try StrictJSON.decode(Config.self, from: Data(#"{"train": {"steps": 5"#.utf8), source: "x.json")
  }
  #expect(throws: LamError("x.json: missing required field 'steps' in field 'train'")) {
    try StrictJSON.decode(Config.self, from: Data(#"{"train": {}}"#.utf8), source: "x.json")
  }
}

@Test func decodeAcceptsAUTF8ByteOrderMarkAsJSONDecoderDoes() throws {
  let data = Data([0xEF, 0xBB, 0xBF] + Array(#"{"train": {"steps": 5}}"#.utf8))
  #expect(try StrictJSON.decode(Config.self, from: data, source: "x.json") == Config(train: .init(steps: 5)))
}

@Test func randomlyMutatedTextIsParsedOrRefusedWithAOneLineMessage() {
  let base = Array(#"{"train": {"steps": 5, "lr": 1e-3}, "conditions": [{"name": "a\n\u00e9"}, [true, false, null]]}"#.utf8)
  // Half the inserted or replacing bytes are JSON's own, so mutations also make duplicates and nesting.
  let structural = Array(#"{}[]",:\"0-e.tnu "#.utf8)
  var rng = RNG(seed: 5)
  var parsed = 0
  for _ in 0..<5000 {
    var bytes = base
    for _ in 0...rng.int(below: 3) {
      let byte = rng.int(below: 2) == 0 ? structural[rng.int(below: structural.count)] : UInt8(rng.int(below: 256))
      switch rng.int(below: 3) {
      case 0 where !bytes.isEmpty: bytes[rng.int(below: bytes.count)] = byte
      case 1: bytes.insert(byte, at: rng.int(below: bytes.count + 1))
      default: if !bytes.isEmpty { bytes.remove(at: rng.int(below: bytes.count)) }
      }
    }
    do {
      _ = try JSON.parse(bytes)
      parsed += 1
    } catch let error as JSON.SyntaxError {
      #expect(!error.message.isEmpty && !error.message.contains(where: \.isNewline), "\(error.message)")
    } catch {
      Issue.record("not a JSON.SyntaxError: \(error)")
    }
  }
  // Some mutations keep the text valid (inside a string, a changed digit); most do not.
  #expect(parsed > 0 && parsed < 2500)
}

@Test func anErrorIsPrintedOnOneLineWhateverTextItQuotes() {
  let error = LamError("config.json: field 'a\nb': unknown key 'x\r\u{7}'")
  #expect(error.message.contains("\n"))
  #expect(!"\(error)".contains("\n") && !"\(error)".contains("\r"))
  #expect("\(error)" == #"config.json: field 'a\nb': unknown key 'x\r\u{07}'"#)
}
