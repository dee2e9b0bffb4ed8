// Ground truth as read, references still by name, and its resolution into a Benchmark:
// the members of a document may come in any order, so names are resolved at the end.
import Imaging

struct RawInstance {
    var id: Int?
    var image: String?
    var category: String?
    var keypointX: [Double] = []
    var keypointY: [Double] = []
    var labelled: [Bool]?
    var mask: Segmentation?
}

struct RawPair {
    var id: String?
    var category: String?
    var source: String?
    var target: String?
}

struct RawBenchmark {
    var format: String?
    var name: String?
    var categories: [Benchmark.Category] = []
    var images: [Benchmark.Image] = []
    var instances: [RawInstance] = []
    var pairs: [RawPair] = []

    private func fail(_ path: JSONPath, _ problem: InputProblem) -> InputError {
        InputError(.groundTruth, path, problem)
    }

    func resolve() throws -> Benchmark {
        guard let format else { throw fail(JSONPath(), .missingField("format")) }
        guard format == GroundTruthReader.format else {
            throw fail(JSONPath([.key("format")]), .wrongFormat(expected: GroundTruthReader.format, found: format))
        }
        guard let name else { throw fail(JSONPath(), .missingField("name")) }

        var categoryIndex: [String: Int] = [:]
        for (index, category) in categories.enumerated() {
            guard categoryIndex.updateValue(index, forKey: category.name) == nil else {
                throw fail(JSONPath([.key("categories"), .index(index), .key("name")]), .duplicateID("\"\(category.name)\""))
            }
        }
        var imageIndex: [String: Int] = [:]
        for (index, image) in images.enumerated() {
            guard imageIndex.updateValue(index, forKey: image.id) == nil else {
                throw fail(JSONPath([.key("images"), .index(index), .key("id")]), .duplicateID("\"\(image.id)\""))
            }
        }

        // Instances, with their keypoints in flat arrays.
        var resolved: [Benchmark.Instance] = []
        resolved.reserveCapacity(instances.count)
        var keypointX: [Double] = []
        var keypointY: [Double] = []
        var keypointLabelled: [Bool] = []
        var setIndex: [Int: Int] = [:]
        var setMembers: [[Int]] = []
        var setKeys: [(image: Int, category: Int)] = []
        var idsPerSet: [Set<Int>] = []
        for (index, instance) in instances.enumerated() {
            let path = JSONPath([.key("instances"), .index(index)])
            guard let id = instance.id else { throw fail(path, .missingField("id")) }
            guard let imageID = instance.image else { throw fail(path, .missingField("image")) }
            guard let image = imageIndex[imageID] else { throw fail(path.appending(.key("image")), .unknownImage(imageID)) }
            guard let categoryName = instance.category else { throw fail(path, .missingField("category")) }
            guard let category = categoryIndex[categoryName] else {
                throw fail(path.appending(.key("category")), .unknownCategory(categoryName))
            }
            guard let labelled = instance.labelled else { throw fail(path, .missingField("keypoints")) }
            let expected = categories[category].keypoints.count
            guard labelled.count == expected else {
                throw fail(path.appending(.key("keypoints")), .wrongKeypointCount(found: labelled.count, expected: expected))
            }
            let mask = try instance.mask?.rle(
                imageSize: [Int(images[image].height), Int(images[image].width)], role: .groundTruth,
                at: path.appending(.key("segmentation")))
            let key = image * categories.count + category
            let set: Int
            if let existing = setIndex[key] {
                set = existing
            } else {
                set = setMembers.count
                setIndex[key] = set
                setMembers.append([])
                setKeys.append((image, category))
                idsPerSet.append([])
            }
            guard idsPerSet[set].insert(id).inserted else {
                throw fail(path.appending(.key("id")), .duplicateID("\(id) in image \"\(imageID)\""))
            }
            setMembers[set].append(resolved.count)
            resolved.append(Benchmark.Instance(
                id: id, image: image, category: category, keypointStart: keypointX.count, mask: mask))
            keypointX.append(contentsOf: instance.keypointX)
            keypointY.append(contentsOf: instance.keypointY)
            keypointLabelled.append(contentsOf: labelled)
        }

        // Per image and category: the labelled locations of each keypoint.
        var instanceSets: [Benchmark.InstanceSet] = []
        instanceSets.reserveCapacity(setMembers.count)
        for (set, members) in setMembers.enumerated() {
            let keypointCount = categories[setKeys[set].category].keypoints.count
            var truthStart = [0]
            var truthX: [Double] = []
            var truthY: [Double] = []
            for keypoint in 0..<keypointCount {
                for member in members {
                    let flat = resolved[member].keypointStart + keypoint
                    if keypointLabelled[flat] {
                        truthX.append(keypointX[flat])
                        truthY.append(keypointY[flat])
                    }
                }
                truthStart.append(truthX.count)
            }
            instanceSets.append(Benchmark.InstanceSet(
                instances: members, truthStart: truthStart, truthX: truthX, truthY: truthY,
                maskedInstances: members.filter { resolved[$0].mask != nil }))
        }

        var resolvedPairs: [Benchmark.Pair] = []
        resolvedPairs.reserveCapacity(pairs.count)
        var pairIndex: [String: Int] = [:]
        pairIndex.reserveCapacity(pairs.count)
        var sourceSet: [Int?] = []
        var targetSet: [Int?] = []
        var groupsPerPair: [Int] = []
        for (index, pair) in pairs.enumerated() {
            let path = JSONPath([.key("pairs"), .index(index)])
            guard let id = pair.id else { throw fail(path, .missingField("id")) }
            guard let categoryName = pair.category else { throw fail(path, .missingField("category")) }
            guard let category = categoryIndex[categoryName] else {
                throw fail(path.appending(.key("category")), .unknownCategory(categoryName))
            }
            guard let sourceID = pair.source else { throw fail(path, .missingField("source")) }
            guard let source = imageIndex[sourceID] else { throw fail(path.appending(.key("source")), .unknownImage(sourceID)) }
            guard let targetID = pair.target else { throw fail(path, .missingField("target")) }
            guard let target = imageIndex[targetID] else { throw fail(path.appending(.key("target")), .unknownImage(targetID)) }
            guard pairIndex.updateValue(index, forKey: id) == nil else {
                throw fail(path.appending(.key("id")), .duplicateID("\"\(id)\""))
            }
            resolvedPairs.append(Benchmark.Pair(id: id, category: category, source: source, target: target))
            let sourceMembers = setIndex[source * categories.count + category]
            let targetMembers = setIndex[target * categories.count + category]
            sourceSet.append(sourceMembers)
            targetSet.append(targetMembers)
            var groups = 0
            if let sourceMembers, let targetMembers {
                let truth = instanceSets[targetMembers]
                for member in instanceSets[sourceMembers].instances {
                    let start = resolved[member].keypointStart
                    for keypoint in 0..<categories[category].keypoints.count
                    where keypointLabelled[start + keypoint] && truth.truthCount(keypoint: keypoint) > 0 {
                        groups += 1
                    }
                }
            }
            groupsPerPair.append(groups)
        }

        return Benchmark(
            name: name, categories: categories, images: images, instances: resolved, pairs: resolvedPairs,
            keypointX: keypointX, keypointY: keypointY, keypointLabelled: keypointLabelled,
            instanceSets: instanceSets, sourceSet: sourceSet, targetSet: targetSet,
            groupsPerPair: groupsPerPair, pairIndex: pairIndex)
    }
}
