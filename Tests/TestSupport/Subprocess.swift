// Runs child processes for tests with posix_spawn and waitpid. Foundation's Process can lose a
// child's exit when several tests spawn at once (waitUntilExit then never returns).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct SubprocessResult: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: Data
    public let seconds: Double

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

public struct SubprocessError: Error, CustomStringConvertible {
    public let description: String
}

/// A started child whose stdout the caller reads; `stop` signals and reaps it.
public final class RunningProcess: @unchecked Sendable {
    public let pid: pid_t
    public let stdout: Int32
    private var reaped: Int32?
    /// How the child ended, for failure messages ("exit 0", "signal 6", "running").
    public private(set) var ending = "running"

    init(pid: pid_t, stdout: Int32) {
        self.pid = pid
        self.stdout = stdout
    }

    deinit {
        if reaped == nil {
            kill(pid, SIGKILL)
            _ = wait(seconds: 5)
        }
        close(stdout)
    }

    /// The first output the child writes, waiting at most `seconds`.
    public func firstOutput(seconds: Double) -> String {
        var poller = pollfd(fd: stdout, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(stdout, $0.baseAddress, $0.count) }
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }

    /// The exit status once the child ends within `seconds` (nil if it did not, or died by a signal).
    public func wait(seconds: Double) -> Int32? {
        if let reaped { return reaped }
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                let exited = status & 0x7f == 0
                reaped = exited ? (status >> 8) & 0xff : -1
                ending = exited ? "exit \((status >> 8) & 0xff)" : "signal \(status & 0x7f)"
                return exited ? reaped : nil
            }
            if result < 0 {
                ending = "waitpid failed: errno \(errno)"
                return nil
            }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }

    /// Whether the child still runs (without reaping it: `wait` must still see its status).
    public var isRunning: Bool {
        guard reaped == nil else { return false }
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == 0
    }
}

public enum Subprocess {
    /// Starts `path` with `arguments`; stdout is a pipe, stderr goes nowhere.
    public static func start(_ path: String, _ arguments: [String]) throws -> RunningProcess {
        let (pid, pipes) = try spawn(path, arguments, stdinPipe: false)
        close(pipes.stderr)
        return RunningProcess(pid: pid, stdout: pipes.stdout)
    }

    /// Runs to completion, feeding `stdin` and collecting both outputs; after `idleSeconds`
    /// without output the pipes are abandoned (a grandchild may hold them open) and the child awaited.
    public static func run(_ path: String, _ arguments: [String], stdin: Data? = nil,
                           idleSeconds: Double = 30) throws -> SubprocessResult {
        let start = Date()
        let (pid, pipes) = try spawn(path, arguments, stdinPipe: stdin != nil)
        if let stdin, let input = pipes.stdin {
            let bytes = [UInt8](stdin)
            DispatchQueue.global().async {
                var offset = 0
                while offset < bytes.count {
                    let written = bytes[offset...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
                    if written <= 0 { break }
                    offset += written
                }
                close(input)
            }
        }
        var out = Data()
        var err = Data()
        var open = [pipes.stdout, pipes.stderr]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), Int32(idleSeconds * 1000)) > 0 else { break }
            for entry in fds where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if entry.fd == pipes.stdout { out.append(contentsOf: buffer[0..<count]) } else { err.append(contentsOf: buffer[0..<count]) }
                } else {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        for fd in open { close(fd) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : -1
        return SubprocessResult(status: code, stdout: out, stderr: err, seconds: Date().timeIntervalSince(start))
    }

    private static func spawn(_ path: String, _ arguments: [String], stdinPipe: Bool) throws
        -> (pid_t, (stdin: Int32?, stdout: Int32, stderr: Int32)) {
        func makePipe() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw SubprocessError(description: "pipe failed: errno \(errno)") }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            return (fds[0], fds[1])
        }
        let out = try makePipe()
        let err = try makePipe()
        let input = stdinPipe ? try makePipe() : nil
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, out.write, 1)
        posix_spawn_file_actions_adddup2(&actions, err.write, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(out.write)
        close(err.write)
        if let input { close(input.read) }
        guard result == 0 else {
            close(out.read)
            close(err.read)
            if let input { close(input.write) }
            throw SubprocessError(description: "cannot start \(path): errno \(result)")
        }
        return (pid, (input?.write, out.read, err.read))
    }
}
