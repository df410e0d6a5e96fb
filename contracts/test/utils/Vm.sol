// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Vm
/// @notice The few Forge cheatcodes the contract tests use (forge-std is not on npm; `contracts/test/` is
/// self-contained). Forge answers calls to {VM_ADDRESS}; the signatures are Forge's own.
interface Vm {
    /// @notice Sets `msg.sender` for the next call only.
    function prank(address msgSender) external;

    /// @notice Sets `msg.sender` for every call until {stopPrank}.
    function startPrank(address msgSender) external;

    /// @notice Ends {startPrank}.
    function stopPrank() external;

    /// @notice Sets `block.timestamp`.
    function warp(uint256 newTimestamp) external;

    /// @notice Discards the fuzz input when `condition` is false.
    function assume(bool condition) external pure;

    /// @notice The creation bytecode of an artifact (a path to an artifact JSON file, read under the
    /// project's `fs_permissions`).
    function getCode(string calldata artifactPath) external view returns (bytes memory creationBytecode);

    /// @notice The runtime bytecode of an artifact, as {getCode}.
    function getDeployedCode(string calldata artifactPath) external view returns (bytes memory runtimeBytecode);

    /// @notice Names an address in Forge's traces.
    function label(address account, string calldata newLabel) external;
}

/// @dev `address(uint160(uint256(keccak256("hevm cheat code"))))`, where Forge answers cheatcodes.
address constant VM_ADDRESS = 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D;

Vm constant vm = Vm(VM_ADDRESS);

/// @dev Where Forge answers `console.log` (forge-std's `console.sol`); it has no code, hence a plain
/// staticcall.
address constant CONSOLE_ADDRESS = 0x000000000000000000636F6e736F6c652e6c6f67;

/// @notice Forge's `console.log(string,uint256)`, printed with `-vv`.
function log(string memory label, uint256 value) view {
    (bool ok,) = CONSOLE_ADDRESS.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
    ok; // Forge always answers; nothing to do if not
}
