import Imaging
import Testing

/// The inked pixels of `image` (anything not black) as rows of '#' and '.'.
func inkRows(_ image: Image) -> [String] {
  (0..<image.height).map { y in String((0..<image.width).map { x in image.pixel(x: x, y: y) == .black ? "." : "#" }) }
}

@Test func drawnGlyphMatchesItsBitmap() {
  var image = Image(width: 7, height: 11, channels: 3, colour: .black)
  image.drawText("A", at: (1, 1), colour: .white)
  let expected = [
    ".......",
    "..###..",
    ".#...#.",
    ".#...#.",
    ".#####.",
    ".#...#.",
    ".#...#.",
    ".#...#.",
    ".......",
    ".......",
    ".......",
  ]
  #expect(inkRows(image) == expected)
  let bitmap = Font.bitmap(for: "A")
  for y in 0..<Font.glyphHeight {
    for x in 0..<Font.glyphWidth {
      #expect((image.pixel(x: x + 1, y: y + 1) == .white) == bitmap[y][x], "(\(x), \(y))")
    }
  }
}

@Test func descendersDrawBelowTheBaseline() {
  var image = Image(width: 5, height: 9, channels: 1, colour: .black)
  image.drawText("g", at: (0, 0), colour: .white)
  #expect(inkRows(image).suffix(2) == ["....#", ".###."])
}

@Test func scaledTextTurnsEachFontPixelIntoABlock() {
  let scale = 3
  var image = Image(width: 2 * Font.advance * scale, height: Font.glyphHeight * scale, channels: 1, colour: .black)
  image.drawText("k%", at: (0, 0), colour: .white, scale: scale)
  let glyphs = [Font.bitmap(for: "k"), Font.bitmap(for: "%")]
  for y in 0..<image.height {
    for x in 0..<image.width {
      let column = (x / scale) % Font.advance, glyph = glyphs[x / (Font.advance * scale)]
      let ink = column < Font.glyphWidth && glyph[y / scale][column]
      #expect((image.pixel(x: x, y: y) == .white) == ink, "(\(x), \(y))")
    }
  }
}

@Test func textWidthIsCharactersTimesAdvanceTimesScale() {
  #expect(Font.textWidth("loss: 0.25", scale: 2) == 10 * 6 * 2)
  #expect(Font.textWidth("ab", scale: 1) == 12)
  #expect(Font.textWidth("", scale: 3) == 0)
  #expect(Font.textWidth("abc\nde", scale: 1) == 18)
  #expect(Font.textHeight("abc\nde", scale: 2) == 2 * 10 * 2)
  // The ink of a drawn string stays inside its width.
  var image = Image(width: 200, height: 20, channels: 1, colour: .black)
  image.drawText("WWWWW", at: (0, 0), colour: .white, scale: 2)
  let inked = (0..<200).filter { x in (0..<20).contains { image.pixel(x: x, y: $0) != .black } }
  #expect(inked.max()! < Font.textWidth("WWWWW", scale: 2))
  #expect(inked.max()! >= Font.textWidth("WWWWW", scale: 2) - 2 * 2)
}

@Test func unknownCharactersDrawAsABox() {
  var image = Image(width: 5, height: 9, channels: 1, colour: .black)
  image.drawText("€", at: (0, 0), colour: .white)
  #expect(inkRows(image) == ["#####", "#...#", "#...#", "#...#", "#...#", "#...#", "#####", ".....", "....."])
}

@Test func verticalTextReadsBottomToTop() {
  var image = Image(width: Font.glyphHeight, height: Font.advance, channels: 1, colour: .black)
  image.drawText("L", at: (0, 0), colour: .white, vertical: true)
  let bitmap = Font.bitmap(for: "L")
  // Font pixel (column u, row v) lands at (v, height - 1 - u).
  for v in 0..<Font.glyphHeight {
    for u in 0..<Font.glyphWidth {
      #expect((image.pixel(x: v, y: Font.advance - 1 - u) == .white) == bitmap[v][u], "(\(u), \(v))")
    }
  }
}

@Test func everyRequiredCharacterHasItsOwnDistinctGlyph() {
  let required = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.,:;-+=_/()[]%#'\"!?<>* ")
  let available = Set(Font.characters)
  for c in required { #expect(available.contains(c), "missing \(c)") }
  let box = Font.bitmap(for: "\u{1}")
  var seen = [[[Bool]]: Character]()
  for c in Font.characters {
    let bitmap = Font.bitmap(for: c)
    #expect(bitmap.count == Font.glyphHeight && bitmap.allSatisfy { $0.count == Font.glyphWidth })
    #expect(bitmap != box, "\(c) looks like the unknown-character box")
    if let other = seen[bitmap] { Issue.record("\(c) and \(other) have the same glyph") }
    seen[bitmap] = c
  }
}
