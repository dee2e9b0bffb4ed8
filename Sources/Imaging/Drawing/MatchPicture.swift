// The picture `POST /v1/match` returns for `image/png`: source and target side by side at a
// common height, instances tinted, a line from each source keypoint to each of its matches
// coloured by predicted target instance, keypoint dots and a legend.

public struct MatchPicture: Sendable {
    /// A labelled keypoint of a source instance, in source pixel coordinates.
    public struct SourceKeypoint: Sendable, Hashable {
        public var instance: Int
        public var keypoint: Int
        public var x: Double
        public var y: Double
        public init(instance: Int, keypoint: Int, x: Double, y: Double) {
            self.instance = instance
            self.keypoint = keypoint
            self.x = x
            self.y = y
        }
    }

    /// A predicted location of (source instance, keypoint) in target pixel coordinates.
    public struct Match: Sendable, Hashable {
        public var sourceInstance: Int
        public var keypoint: Int
        public var x: Double
        public var y: Double
        public var targetInstance: Int?
        public init(sourceInstance: Int, keypoint: Int, x: Double, y: Double, targetInstance: Int?) {
            self.sourceInstance = sourceInstance
            self.keypoint = keypoint
            self.x = x
            self.y = y
            self.targetInstance = targetInstance
        }
    }

    public var source: RGBImage
    public var target: RGBImage
    public var sourceInstances: [InstanceMask]
    public var targetInstances: [InstanceMask]
    public var sourceKeypoints: [SourceKeypoint]
    public var matches: [Match]
    /// Height both images are scaled to (bilinear, as everywhere).
    public var height: Int

    public init(source: RGBImage, target: RGBImage, sourceInstances: [InstanceMask], targetInstances: [InstanceMask],
                sourceKeypoints: [SourceKeypoint], matches: [Match], height: Int = 480) {
        self.source = source
        self.target = target
        self.sourceInstances = sourceInstances
        self.targetInstances = targetInstances
        self.sourceKeypoints = sourceKeypoints
        self.matches = matches
        self.height = height
    }

    static let gap = 8
    static let legendHeight = 22
    static let tint = 0.45

    public func render() throws(ImageError) -> RGBImage {
        guard (16...4096).contains(height) else { throw .invalidPixels(detail: "picture height \(height) is outside 16...4096") }
        let sourceWidth = max(1, Int((Double(source.width) * Double(height) / Double(source.height)).rounded()))
        let targetWidth = max(1, Int((Double(target.width) * Double(height) / Double(target.height)).rounded()))
        guard sourceWidth + targetWidth <= 16384 else { throw .invalidPixels(detail: "picture would be wider than 16384 pixels") }
        let toSource = ResizeGeometry(fromWidth: source.width, fromHeight: source.height, toWidth: sourceWidth, toHeight: height)
        let toTarget = ResizeGeometry(fromWidth: target.width, fromHeight: target.height, toWidth: targetWidth, toHeight: height)
        let targetX = sourceWidth + MatchPicture.gap

        var canvas = Canvas(width: targetX + targetWidth, height: height + MatchPicture.legendHeight, background: RGB(32, 32, 32))
        canvas.paste(try BilinearResize.resize(source, width: sourceWidth, height: height), x0: 0, y0: 0)
        canvas.paste(try BilinearResize.resize(target, width: targetWidth, height: height), x0: targetX, y0: 0)

        for (index, instance) in sourceInstances.enumerated() {
            tint(&canvas, instance.mask, image: source, x0: 0, width: sourceWidth, Palette.source(index))
        }
        var targetColour = [Int: RGB]()
        for (index, instance) in targetInstances.enumerated() {
            targetColour[instance.id] = Palette.target(index)
            tint(&canvas, instance.mask, image: target, x0: targetX, width: targetWidth, Palette.target(index))
        }

        var keypoints = [Int: [Int: (x: Double, y: Double)]]()
        for k in sourceKeypoints { keypoints[k.instance, default: [:]][k.keypoint] = toSource.forward(x: k.x, y: k.y) }
        // Where each match lands on the canvas and its colour, for its line and then its dot.
        let landings = matches.map { match in
            let to = toTarget.forward(x: match.x, y: match.y)
            return (x: to.x + Double(targetX), y: to.y,
                    colour: match.targetInstance.flatMap { targetColour[$0] } ?? Palette.ungrouped)
        }
        for (match, to) in zip(matches, landings) {
            guard let from = keypoints[match.sourceInstance]?[match.keypoint] else { continue }
            canvas.line(from: from, to: (to.x, to.y), to.colour, thickness: 1.5)
        }
        for to in landings {
            canvas.disc(cx: to.x, cy: to.y, radius: 4, .black)
            canvas.disc(cx: to.x, cy: to.y, radius: 2.5, to.colour)
        }
        for (index, instance) in sourceInstances.enumerated() {
            for point in keypoints[instance.id, default: [:]].values {
                canvas.disc(cx: point.x, cy: point.y, radius: 4, .black)
                canvas.disc(cx: point.x, cy: point.y, radius: 2.5, Palette.source(index))
            }
        }
        drawLegend(&canvas)
        return canvas.image
    }

    public func png(level: Int = 6) throws(ImageError) -> [UInt8] {
        try PNGEncoder.encode(render(), level: level)
    }

    /// Blends `colour` over the pixels whose nearest original pixel is in `mask`.
    private func tint(_ canvas: inout Canvas, _ mask: RLE, image: RGBImage, x0: Int, width: Int, _ colour: RGB) {
        guard mask.height == image.height, mask.width == image.width else { return }
        let pixels = mask.rowMajorMask()
        for y in 0..<height {
            let sy = min(image.height - 1, Int((Double(y) + 0.5) * Double(image.height) / Double(height)))
            for x in 0..<width {
                let sx = min(image.width - 1, Int((Double(x) + 0.5) * Double(image.width) / Double(width)))
                if pixels[sy * image.width + sx] != 0 { canvas.blend(x: x0 + x, y: y, colour, alpha: MatchPicture.tint) }
            }
        }
    }

    /// "S <id>" swatches for source instances, then "T <id>" for target instances.
    private func drawLegend(_ canvas: inout Canvas) {
        var x = 6
        let y = height + 4
        func entry(_ label: String, _ colour: RGB) {
            canvas.fillRect(x: x, y: y + 1, width: 12, height: 12, colour)
            x += 16
            x += canvas.text(label, x: x, y: y + 2, scale: 2, .white) + 10
        }
        for (index, instance) in sourceInstances.enumerated() { entry("S\(instance.id)", Palette.source(index)) }
        x += 14
        for (index, instance) in targetInstances.enumerated() { entry("T\(instance.id)", Palette.target(index)) }
        if matches.contains(where: { $0.targetInstance == nil }) { entry("T?", Palette.ungrouped) }
    }
}
