extension Image {
  /// Draws `text` in the built-in font with the top-left corner of its first character cell at
  /// `at`; each font pixel becomes a scale x scale block, "\n" starts a new line. With `vertical`,
  /// the text is turned a quarter left (it reads bottom to top) and `at` is the top-left of the
  /// turned box, which is `Font.textHeight` wide and `Font.textWidth` high.
  public mutating func drawText(
    _ text: String, at origin: (x: Int, y: Int), colour: Colour, scale: Int = 1, vertical: Bool = false
  ) {
    precondition(scale >= 1, "text scale must be at least 1, got \(scale)")
    let runLength = Font.textWidth(text, scale: scale)
    for (line, content) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      for (index, character) in content.enumerated() {
        let rows = Font.rows(of: character)
        for (row, bits) in rows.enumerated() where bits != 0 {
          for column in 0..<Font.glyphWidth where bits & (1 << (Font.glyphWidth - 1 - column)) != 0 {
            // (u, v): position along and across the text, in pixels.
            let u = (index * Font.advance + column) * scale
            let v = (line * Font.lineHeight + row) * scale
            if vertical {
              fill(Rect(x: origin.x + v, y: origin.y + runLength - u - scale, width: scale, height: scale), colour)
            } else {
              fill(Rect(x: origin.x + u, y: origin.y + v, width: scale, height: scale), colour)
            }
          }
        }
      }
    }
  }
}
