// Distinct colours for instances: source instances in warm tones, predicted target
// instances in a separate set, so a line's colour names its target instance.

enum Palette {
    static let target: [RGB] = [
        RGB(31, 119, 180), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189),
        RGB(23, 190, 207), RGB(188, 189, 34), RGB(227, 119, 194), RGB(140, 86, 75),
    ]
    static let source: [RGB] = [RGB(255, 127, 14), RGB(255, 215, 0), RGB(255, 99, 71), RGB(210, 105, 30)]
    /// Matches that name no target instance.
    static let ungrouped = RGB(255, 255, 255)

    static func target(_ index: Int) -> RGB { target[index % target.count] }
    static func source(_ index: Int) -> RGB { source[index % source.count] }
}
