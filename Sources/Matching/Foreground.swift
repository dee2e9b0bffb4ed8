// The source-mask prior: a target patch is foreground when its nearest labelled source
// patches (by cosine) mostly lie inside the source instances.
import COpenBLAS
import Imaging

enum Foreground {
    /// Per source patch: 1 when its centre is inside an instance (its mask, else its box),
    /// 0 when outside every instance box enlarged by `margin`, −1 (ignored) in between.
    /// `membership` is `membership(geometry, instances:)`.
    static func sourceLabels(_ geometry: InputGeometry, instances: [SourceInstance], membership inside: [[Bool]],
                             margin: Double) -> [Int8] {
        let (gw, gh) = (geometry.gridWidth, geometry.gridHeight)
        let boxes = instances.map(\.extent)
        var labels = [Int8](repeating: 0, count: gw * gh)
        for i in 0..<gh {
            let y = (Double(i) + 0.5) / geometry.sy
            for j in 0..<gw {
                let x = (Double(j) + 0.5) / geometry.sx
                if inside.contains(where: { $0[i * gw + j] }) {
                    labels[i * gw + j] = 1
                    continue
                }
                labels[i * gw + j] = boxes.contains { contains($0, x: x, y: y, margin: margin) } ? -1 : 0
            }
        }
        // An instance smaller than a patch has no patch centre inside it: its keypoints'
        // patches stand for it.
        if !labels.contains(1) {
            for instance in instances {
                for point in instance.keypoints where point.isLabelled {
                    let i = min(gh - 1, Int(point.y * geometry.sy)), j = min(gw - 1, Int(point.x * geometry.sx))
                    labels[i * gw + j] = 1
                }
            }
        }
        return labels
    }

    /// Per instance, which source patches have their centre inside it (its mask, else its box).
    static func membership(_ geometry: InputGeometry, instances: [SourceInstance]) -> [[Bool]] {
        let (gw, gh) = (geometry.gridWidth, geometry.gridHeight)
        return instances.map { instance in
            let mask = instance.mask?.rowMajorMask()
            let box = instance.extent
            var inside = [Bool](repeating: false, count: gw * gh)
            for i in 0..<gh {
                let y = (Double(i) + 0.5) / geometry.sy
                for j in 0..<gw {
                    let x = (Double(j) + 0.5) / geometry.sx
                    if let mask {
                        let px = min(geometry.imageWidth - 1, Int(x)), py = min(geometry.imageHeight - 1, Int(y))
                        inside[i * gw + j] = mask[py * geometry.imageWidth + px] != 0
                    } else {
                        inside[i * gw + j] = contains(box, x: x, y: y, margin: 0)
                    }
                }
            }
            return inside
        }
    }

    /// Whether (x, y) lies in `box` enlarged by `margin` of its width and height.
    private static func contains(_ box: BoundingBox, x: Double, y: Double, margin: Double) -> Bool {
        let mx = margin * box.width, my = margin * box.height
        return x >= box.x - mx && x <= box.x + box.width + mx && y >= box.y - my && y <= box.y + box.height + my
    }

    /// p_fg per target patch: the share of label-1 patches among the `neighbours` labelled
    /// source patches of highest cosine, over the labelled patches of every source image
    /// pooled (a target patch's nearest labelled patches may come from any of them). Every
    /// map must be L2-normalised.
    static func probability(sources: [(features: FeatureMap, labels: [Int8])], target: FeatureMap, neighbours: Int) -> [Float] {
        // (source, patch) of every labelled patch.
        let labelled = sources.indices.flatMap { s in sources[s].labels.indices.filter { sources[s].labels[$0] >= 0 }.map { (s, $0) } }
        let isForeground = labelled.map { sources[$0.0].labels[$0.1] == 1 }
        let targets = target.geometry.patches
        guard isForeground.contains(true) else { return [Float](repeating: 0, count: targets) }
        guard isForeground.contains(false) else { return [Float](repeating: 1, count: targets) }
        let c = target.channels
        var gathered = [Float](repeating: 0, count: labelled.count * c)
        for (row, (source, patch)) in labelled.enumerated() {
            sources[source].features.values.withUnsafeBufferPointer { values in
                for j in 0..<c { gathered[row * c + j] = values[patch * c + j] }
            }
        }
        let n = labelled.count
        var similarity = [Float](repeating: 0, count: targets * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(targets), Int32(n), Int32(c), 1,
                    target.values, Int32(c), gathered, Int32(c), 0, &similarity, Int32(n))
        let k = min(neighbours, n)
        var result = [Float](repeating: 0, count: targets)
        var best = [(Float, Bool)](repeating: (-.infinity, false), count: k)
        similarity.withUnsafeBufferPointer { s in
            for t in 0..<targets {
                for index in 0..<k { best[index] = (-.infinity, false) }
                let row = s.baseAddress! + t * n
                for index in 0..<n {
                    let value = row[index]
                    guard value > best[k - 1].0 else { continue }
                    // Insertion into the k best, kept sorted in descending order.
                    var slot = k - 1
                    while slot > 0 && best[slot - 1].0 < value {
                        best[slot] = best[slot - 1]
                        slot -= 1
                    }
                    best[slot] = (value, isForeground[index])
                }
                var count = 0
                for entry in best where entry.1 { count += 1 }
                result[t] = Float(count) / Float(k)
            }
        }
        return result
    }
}
