// Why a streamed body could not be stored, and the answer that earns: 507 when the disk is
// full (the client may retry later), 500 otherwise.
#if canImport(Glibc)
import Glibc
#endif

struct UploadError: Error, Sendable, CustomStringConvertible {
    enum Operation: String, Sendable {
        case create = "create the temporary file"
        case write = "write the body"
        case sync = "sync the body to disk"
        case digest = "hash the body"
    }

    let operation: Operation
    /// errno of the failed call; 0 when there is none (a libcrypto failure).
    let code: Int32

    init(_ operation: Operation, code: Int32) {
        self.operation = operation
        self.code = code
    }

    var description: String {
        "cannot \(operation.rawValue)" + (code == 0 ? "" : ": " + String(cString: strerror(code)))
    }

    var response: Response {
        if code == ENOSPC || code == EDQUOT {
            return Response.error(.insufficientStorage, code: "insufficient-storage", message: "the server has no room for the body: \(description)")
        }
        return Response.error(.internalServerError, code: "upload-failed", message: description)
    }
}
