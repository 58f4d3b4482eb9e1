/// Pictures laid out in rows and columns with gutters, an optional title, a caption under each
/// tile, row and column labels, and optional lines of notes under the grid (what a colour means, units).
public struct ImageGrid: Sendable {
  /// The tiles in reading order (row by row); the last row may be short.
  public var tiles: [Image]
  public var columns: Int
  /// One caption per tile (missing or empty: none).
  public var captions: [String]
  public var title: String
  /// Labels left of each row and above each column (empty: none).
  public var rowLabels: [String]
  public var columnLabels: [String]
  /// Every tile is enlarged by this integer factor (nearest neighbour) before layout.
  public var tileScale = 1
  public var gutter = 8
  public var background = Colour.white
  public var textColour = Colour(gray: 34)
  public var textScale = 1
  /// A one-pixel outline drawn in the gutter around every tile at least 2 x 2 pixels, so white tile pixels stay
  /// apart from a white page (nil: none).
  public var tileOutline: Colour? = nil
  /// Lines of text under the grid, left-aligned (empty: none).
  public var footer: [String] = []

  public init(tiles: [Image], columns: Int, captions: [String] = [], title: String = "",
              rowLabels: [String] = [], columnLabels: [String] = []) {
    precondition(columns >= 1, "an image grid needs at least one column")
    self.tiles = tiles
    self.columns = columns
    self.captions = captions
    self.title = title
    self.rowLabels = rowLabels
    self.columnLabels = columnLabels
  }

  /// Where tile `index`'s top-left corner lands in the rendered image.
  public func tileOrigin(_ index: Int) -> (x: Int, y: Int) { layout().origins[index] }

  /// Draws the grid on an RGB image just large enough for it. Each cell is as wide as the widest
  /// tile or caption of its column and as high as the highest tile of its row; tiles are centred
  /// in their cells.
  public func render() -> Image {
    let g = layout()
    var image = Image(width: g.width, height: g.height, channels: 3, colour: background)
    let s = textScale
    if !title.isEmpty {
      image.drawText(title, at: ((g.width - Font.textWidth(title, scale: 2 * s)) / 2, gutter), colour: textColour, scale: 2 * s)
    }
    for (c, text) in columnLabels.prefix(columns).enumerated() {
      image.drawText(text, at: (g.columnX[c] + (g.columnWidths[c] - Font.textWidth(text, scale: s)) / 2, g.columnLabelY),
                     colour: textColour, scale: s)
    }
    for (r, text) in rowLabels.prefix(g.rowY.count).enumerated() {
      image.drawText(text, at: (g.rowLabelRight - Font.textWidth(text, scale: s), g.rowY[r] + (g.tileHeights[r] - Font.capHeight * s) / 2),
                     colour: textColour, scale: s)
    }
    for (i, tile) in tiles.enumerated() {
      let scaled = tileScale > 1 ? tile.upscaled(by: tileScale) : tile
      if let outline = tileOutline, scaled.width > 1 && scaled.height > 1 {
        image.stroke(Rect(x: g.origins[i].x - 1, y: g.origins[i].y - 1, width: scaled.width + 2, height: scaled.height + 2), outline)
      }
      image.paste(scaled, x: g.origins[i].x, y: g.origins[i].y)
      if i < captions.count && !captions[i].isEmpty {
        let c = i % columns, r = i / columns
        let w = Font.textWidth(captions[i], scale: s)
        image.drawText(captions[i], at: (g.columnX[c] + (g.columnWidths[c] - w + s) / 2, g.rowY[r] + g.tileHeights[r] + 4 * s),
                       colour: textColour, scale: s)
      }
    }
    for (j, line) in footer.enumerated() {
      image.drawText(line, at: (gutter, g.footerY + j * Font.lineHeight * s), colour: textColour, scale: s)
    }
    return image
  }

  /// Where everything goes: cell columns and rows, tile corners, label positions.
  struct Layout {
    var width: Int
    var height: Int
    var origins: [(x: Int, y: Int)]
    var columnX: [Int]
    var columnWidths: [Int]
    var rowY: [Int]
    var tileHeights: [Int]
    var columnLabelY: Int
    var rowLabelRight: Int
    var footerY: Int
  }

  func layout() -> Layout {
    let s = textScale
    let rows = (tiles.count + columns - 1) / columns
    let hasCaptions = captions.contains { !$0.isEmpty }
    var columnWidths = [Int](repeating: 0, count: columns)
    var tileHeights = [Int](repeating: 0, count: rows)
    for (i, tile) in tiles.enumerated() {
      let caption = i < captions.count ? Font.textWidth(captions[i], scale: s) : 0
      columnWidths[i % columns] = max(columnWidths[i % columns], tile.width * tileScale, caption)
      tileHeights[i / columns] = max(tileHeights[i / columns], tile.height * tileScale)
    }
    for (c, text) in columnLabels.prefix(columns).enumerated() {
      columnWidths[c] = max(columnWidths[c], Font.textWidth(text, scale: s))
    }
    let captionBand = hasCaptions ? 4 * s + Font.lineHeight * s : 0
    let rowLabelWidth = rowLabels.map { Font.textWidth($0, scale: s) }.max() ?? 0
    var y = gutter + (title.isEmpty ? 0 : Font.lineHeight * 2 * s + gutter)
    let columnLabelY = y
    if !columnLabels.isEmpty { y += Font.lineHeight * s + 2 * s }
    let left = gutter + (rowLabelWidth > 0 ? rowLabelWidth + gutter : 0)
    var columnX = [Int]()
    var x = left
    for w in columnWidths { columnX.append(x); x += w + gutter }
    var rowY = [Int]()
    for h in tileHeights { rowY.append(y); y += h + captionBand + gutter }
    let origins = tiles.enumerated().map { i, tile in
      (x: columnX[i % columns] + (columnWidths[i % columns] - tile.width * tileScale) / 2,
       y: rowY[i / columns] + (tileHeights[i / columns] - tile.height * tileScale) / 2)
    }
    let footerY = y
    if !footer.isEmpty { y += footer.count * Font.lineHeight * s + gutter }
    let footerWidth = footer.map { Font.textWidth($0, scale: s) + 2 * gutter }.max() ?? 0
    let width = max(x, footerWidth, gutter + (title.isEmpty ? 0 : Font.textWidth(title, scale: 2 * s) + gutter))
    return Layout(width: width, height: max(y, 1), origins: origins, columnX: columnX, columnWidths: columnWidths,
                  rowY: rowY, tileHeights: tileHeights, columnLabelY: columnLabelY, rowLabelRight: left - gutter,
                  footerY: footerY)
  }
}
