// COCO keypoint file to split plan: the categories chosen, the instances kept (and why the
// others were not), the images found on disk at the size the file states, and per category
// the pairs of the paper's rule. Nothing is written here (SplitWriter does that).
import Imaging

public struct COCOImportOptions: Sendable {
    /// Where the images are: `file_name` is looked up as given, then by its base name.
    public var imagesFolder: String
    /// Category names to import; empty: every category with a keypoints list.
    public var categories: [String] = []
    /// The fraction of a category's keypoints that both images of a pair must label.
    public var minShared = 0.30
    /// At most this many pairs per category, a seeded sample.
    public var maxPairs: Int?
    public var seed: UInt64 = 0
    /// Keep instances without a labelled keypoint (they never make an image pairable).
    public var keepUnlabelled = false
    /// Split the images into a source side and a target side; keep source→target pairs only.
    public var disjoint = false

    public init(imagesFolder: String) { self.imagesFolder = imagesFolder }
}

/// What was read, kept and left out: the command prints it as the run's summary.
public struct ImportSummary: Sendable, Equatable {
    public struct CategoryCounts: Sendable, Equatable {
        public var name: String
        public var keypoints: Int
        /// Shared keypoints a pair needs (`minShared` of `keypoints`, rounded up).
        public var needed: Int
        /// Images with a labelled instance of the category (found on disk).
        public var images: Int
        public var sourceImages: Int
        public var targetImages: Int
        public var candidates: Int
        public var pairs: Int
    }

    public var imagesInFile = 0
    public var annotationsInFile = 0
    public var imagesChecked = 0
    public var imagesMissing = 0
    public var imagesMismatched = 0
    public var imagesUnreadable = 0
    public var instancesKept = 0
    public var droppedCrowd = 0
    public var droppedUnlabelled = 0
    public var droppedOtherCategory = 0
    public var droppedImageLeftOut = 0
    /// Instances of images that no pair uses.
    public var droppedUnpaired = 0
    /// Polygons of fewer than 3 points, left out of their instance's mask.
    public var degeneratePolygons = 0
    public var categories: [CategoryCounts] = []
}

public struct SplitPlan: Sendable {
    public struct Category: Sendable, Equatable {
        public let name: String
        public let keypoints: [String]
    }

    public struct Image: Sendable, Equatable {
        public let cocoID: Int
        /// The image's id in the split.
        public let id: String
        /// Its name inside the split's `images/` folder.
        public let name: String
        /// Where it was found.
        public let path: String
        public let width: Int
        public let height: Int
    }

    public struct Instance: Sendable {
        public let id: Int
        public let image: Int
        public let category: Int
        public let bbox: [Double]?
        public let segmentation: RawSegmentation?
        /// `[x1, y1, v1, ...]`, three values per keypoint of the category.
        public let keypoints: [Double]
    }

    public let categories: [Category]
    public let images: [Image]
    public let instances: [Instance]
    public let pairs: [CategoryPairs]
    public let summary: ImportSummary

    public var pairCount: Int { pairs.reduce(0) { $0 + $1.count } }
}

public enum COCOImport {
    /// The plan for `file`; `log` gets one line per image left out and per category paired.
    public static func plan(_ file: COCOKeypointFile, options: COCOImportOptions,
                            log: (String) -> Void = { _ in }) throws(DatasetError) -> SplitPlan {
        guard options.minShared.isFinite, (0...1).contains(options.minShared) else {
            throw .invalidOption("--min-shared must be a fraction from 0 to 1")
        }
        if let maxPairs = options.maxPairs, maxPairs < 1 { throw .invalidOption("--max-pairs must be positive") }
        var summary = ImportSummary()
        summary.imagesInFile = file.images.count
        summary.annotationsInFile = file.annotations.count

        // Categories: the selected ones in file order, and the index of each in the split.
        var categoryByID: [Int: Int] = [:]
        for (index, category) in file.categories.enumerated() {
            guard categoryByID.updateValue(index, forKey: category.id) == nil else { throw .duplicateCategory(id: category.id) }
        }
        for name in options.categories {
            guard let category = file.categories.first(where: { $0.name == name }) else {
                throw .unknownCategoryName(name, available: file.categories.map(\.name))
            }
            guard !category.keypoints.isEmpty else { throw .categoryWithoutKeypoints(name) }
        }
        var splitCategory = [Int?](repeating: nil, count: file.categories.count)
        var categories: [SplitPlan.Category] = []
        for (index, category) in file.categories.enumerated() where !category.keypoints.isEmpty
            && (options.categories.isEmpty || options.categories.contains(category.name)) {
            splitCategory[index] = categories.count
            categories.append(SplitPlan.Category(name: category.name, keypoints: category.keypoints))
        }
        guard !categories.isEmpty else { throw .noKeypointCategory }

        var imageByID: [Int: Int] = [:]
        imageByID.reserveCapacity(file.images.count)
        for (index, image) in file.images.enumerated() {
            guard imageByID.updateValue(index, forKey: image.id) == nil else { throw .duplicateImage(id: image.id) }
            guard image.width > 0, image.height > 0 else {
                throw .invalidImageSize(id: image.id, width: image.width, height: image.height)
            }
        }

        // Instances of the selected categories that are neither crowds nor (unless asked)
        // unlabelled; their masks checked against their image.
        var candidates: [SplitPlan.Instance] = []
        var labelledIn = [Bool](repeating: false, count: file.images.count)
        var annotationIDs = Set<Int>()
        annotationIDs.reserveCapacity(file.annotations.count)
        for annotation in file.annotations {
            guard let fileCategory = categoryByID[annotation.categoryID] else {
                throw .unknownCategory(annotation: annotation.id, category: annotation.categoryID)
            }
            guard let image = imageByID[annotation.imageID] else {
                throw .unknownImage(annotation: annotation.id, image: annotation.imageID)
            }
            guard annotationIDs.insert(annotation.id).inserted else { throw .duplicateAnnotation(id: annotation.id) }
            guard let category = splitCategory[fileCategory] else { summary.droppedOtherCategory += 1; continue }
            if annotation.isCrowd { summary.droppedCrowd += 1; continue }
            let count = categories[category].keypoints.count
            let keypoints = annotation.keypoints ?? [Double](repeating: 0, count: 3 * count)
            guard keypoints.count == 3 * count else {
                throw .wrongKeypointCount(annotation: annotation.id, found: keypoints.count, expected: 3 * count,
                                          category: categories[category].name)
            }
            let labelled = hasLabel(keypoints)
            if !labelled && !options.keepUnlabelled { summary.droppedUnlabelled += 1; continue }
            let segmentation = try checkedMask(annotation, image: file.images[image], summary: &summary)
            if labelled { labelledIn[image] = true }
            candidates.append(SplitPlan.Instance(id: annotation.id, image: image, category: category, bbox: annotation.bbox,
                                                 segmentation: segmentation, keypoints: keypoints))
        }

        // The images that can pair, found at their stated size.
        var found = [String?](repeating: nil, count: file.images.count)
        for (index, image) in file.images.enumerated() where labelledIn[index] {
            summary.imagesChecked += 1
            switch locate(image, in: options.imagesFolder) {
            case .found(let path):
                found[index] = path
            case .missing:
                summary.imagesMissing += 1
                log("image \(image.id) (\(image.fileName)): not found in \(options.imagesFolder); left out")
            case .unreadable(let path, let reason):
                summary.imagesUnreadable += 1
                log("image \(image.id) (\(path)): \(reason); left out")
            case .mismatched(let path, let width, let height):
                summary.imagesMismatched += 1
                log("image \(image.id) (\(path)): is \(width)×\(height), the file says \(image.width)×\(image.height); left out")
            }
        }
        let instances = candidates.filter { found[$0.image] != nil }
        summary.droppedImageLeftOut = candidates.count - instances.count

        // Per category: the pairable images by id, their labelled keypoint types, the pairs.
        var order = Array(file.images.indices)
        order.sort { file.images[$0].id < file.images[$1].id }
        var rank = [Int](repeating: 0, count: file.images.count)
        for (position, index) in order.enumerated() { rank[index] = position }
        var participants = [[Int]](repeating: [], count: categories.count)
        var slot = [[Int: Int]](repeating: [:], count: categories.count)
        for instance in instances where hasLabel(instance.keypoints) && slot[instance.category][instance.image] == nil {
            slot[instance.category][instance.image] = 0
            participants[instance.category].append(instance.image)
        }
        for category in categories.indices {
            participants[category].sort { rank[$0] < rank[$1] }
            for (position, image) in participants[category].enumerated() { slot[category][image] = position }
        }
        let sides = options.disjoint
            ? SideAssignment.assign(participants: participants, imageIDs: file.images.map(\.id), seed: options.seed) : nil
        var sets = participants.enumerated().map { category, images in
            KeypointSets(count: images.count, keypoints: categories[category].keypoints.count)
        }
        for instance in instances {
            guard let position = slot[instance.category][instance.image] else { continue }
            sets[instance.category].add(labelledIn: instance.keypoints, to: position)
        }

        var pairings: [CategoryPairs] = []
        var used = [Bool](repeating: false, count: file.images.count)
        for (category, images) in participants.enumerated() {
            let clock = ContinuousClock.now
            let keypointCount = categories[category].keypoints.count
            let needed = Int((options.minShared * Double(keypointCount) - 1e-9).rounded(.up))
            let pairing = Pairing(sets: sets[category], needed: max(needed, 0),
                                  isSource: sides.map { side in images.map { side[$0] } })
            let pairs = CategoryPairs(category: category, pairing: pairing, images: images,
                                      maxPairs: options.maxPairs, seed: mix(options.seed ^ mix(UInt64(category))))
            pairs.markUsed(&used)
            summary.categories.append(ImportSummary.CategoryCounts(
                name: categories[category].name, keypoints: keypointCount, needed: pairing.needed, images: images.count,
                sourceImages: pairing.sources.count, targetImages: pairing.targets.count,
                candidates: pairing.candidateCount, pairs: pairs.count))
            let milliseconds = (ContinuousClock.now - clock) / .milliseconds(1)
            log("\(categories[category].name): \(images.count) images, \(pairs.count) pairs of \(pairing.candidateCount) candidates"
                + " (\(pairing.needed) of \(keypointCount) keypoints shared, \(Int(milliseconds)) ms)")
            pairings.append(pairs)
        }

        // The split's images: those some pair uses, by id, each named once.
        let chosen = order.filter { used[$0] }
        let names = uniqueNames(chosen.map { file.images[$0] })
        var splitImage = [Int](repeating: -1, count: file.images.count)
        var images: [SplitPlan.Image] = []
        for (position, index) in chosen.enumerated() {
            splitImage[index] = images.count
            let image = file.images[index]
            images.append(SplitPlan.Image(cocoID: image.id, id: names[position].id, name: names[position].name,
                                          path: found[index] ?? "", width: image.width, height: image.height))
        }
        for index in pairings.indices { pairings[index].mapImages(splitImage) }
        let kept = instances.compactMap { instance -> SplitPlan.Instance? in
            let image = splitImage[instance.image]
            guard image >= 0 else { return nil }
            return SplitPlan.Instance(id: instance.id, image: image, category: instance.category, bbox: instance.bbox,
                                      segmentation: instance.segmentation, keypoints: instance.keypoints)
        }
        summary.instancesKept = kept.count
        summary.droppedUnpaired = instances.count - kept.count
        return SplitPlan(categories: categories, images: images, instances: kept, pairs: pairings, summary: summary)
    }

    private static func hasLabel(_ keypoints: [Double]) -> Bool {
        stride(from: 2, to: keypoints.count, by: 3).contains { keypoints[$0] > 0 }
    }

    /// The annotation's mask as it will be written, or nil: polygons of fewer than 3 points
    /// are left out (COCO has a few); any other fault, or an RLE of another size than its
    /// image, is an error naming the annotation.
    private static func checkedMask(_ annotation: COCOKeypointFile.Annotation, image: COCOKeypointFile.Image,
                                    summary: inout ImportSummary) throws(DatasetError) -> RawSegmentation? {
        guard let raw = annotation.segmentation else { return nil }
        do throws(MaskError) {
            switch raw {
            case .polygons(let polygons):
                let whole = polygons.filter { $0.count >= 6 }
                summary.degeneratePolygons += polygons.count - whole.count
                guard !whole.isEmpty else { return nil }
                for (index, polygon) in whole.enumerated() { try RLE.validate(polygon, index: index) }
                return .polygons(whole)
            case .compressed(let size, let counts):
                try checkSize(size, image, annotation.id)
                _ = try RLE(compressed: counts, height: size[0], width: size[1])
            case .runs(let size, let counts):
                try checkSize(size, image, annotation.id)
                _ = try RLE(counts: counts, height: size[0], width: size[1])
            }
        } catch {
            throw .invalidMask(annotation: annotation.id, reason: error.description)
        }
        return raw
    }

    private static func checkSize(_ size: [Int], _ image: COCOKeypointFile.Image, _ annotation: Int) throws(MaskError) {
        guard size == [image.height, image.width] else {
            throw .sizeMismatch(expected: MaskSize(height: image.height, width: image.width),
                                found: MaskSize(height: size.first ?? 0, width: size.count > 1 ? size[1] : 0))
        }
    }

    enum Location {
        case found(String)
        case missing
        case unreadable(path: String, reason: String)
        case mismatched(path: String, width: Int, height: Int)
    }

    /// `file_name` under the folder as given, else its base name there (COCO's file names
    /// may carry the folder they were published in: `val2017/000000000785.jpg`).
    static func locate(_ image: COCOKeypointFile.Image, in folder: String) -> Location {
        for path in [folder + "/" + image.fileName, folder + "/" + baseName(image.fileName)] {
            let header: ImageHeader?
            do throws(ImageError) {
                header = try ImageHeader.read(path: path)
            } catch {
                return .unreadable(path: path, reason: error.description)
            }
            guard let header else { continue }
            guard header.width == image.width, header.height == image.height else {
                return .mismatched(path: path, width: header.width, height: header.height)
            }
            return .found(path)
        }
        return .missing
    }

    static func baseName(_ fileName: String) -> String {
        String(fileName.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? Substring(fileName))
    }

    /// Names in the split's `images/` folder and ids: the base name and the base name without
    /// its extension; `<COCO id>-<base name>` for every image when two share a base name, and
    /// the names themselves as ids when two share a stem (`a.jpg`, `a.png`).
    static func uniqueNames(_ images: [COCOKeypointFile.Image]) -> [(name: String, id: String)] {
        var names = images.map { baseName($0.fileName) }
        if Set(names).count < names.count { names = zip(images, names).map { "\($0.id)-\($1)" } }
        var ids = names.map { name in
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
            return String(name[..<dot])
        }
        if Set(ids).count < ids.count { ids = names }
        return Array(zip(names, ids))
    }
}
