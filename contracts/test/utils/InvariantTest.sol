// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title InvariantTest
/// @notice The part of forge-std's `StdInvariant` that the invariant tests need: Forge reads the
/// contracts and selectors to call from {targetContracts} and {targetSelectors} (by name, after `setUp`)
/// and checks every `invariant_*` function after each call. Also a `bound` for fuzzed inputs.
abstract contract InvariantTest {
    /// @notice Selectors of one target contract that Forge may call (forge-std's layout: Forge decodes it).
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetedContracts;
    FuzzSelector[] private _targetedSelectors;

    /// @notice The contracts whose functions the invariant campaign calls.
    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    /// @notice The functions the invariant campaign calls, per target contract.
    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetedSelectors;
    }

    function targetContract(address target) internal {
        _targetedContracts.push(target);
    }

    function targetSelector(FuzzSelector memory target) internal {
        _targetedSelectors.push(target);
    }
}

/// @notice `x` mapped into `[min, max]` (uniformly enough for fuzzing), as forge-std's `bound`.
function bound(uint256 x, uint256 min, uint256 max) pure returns (uint256) {
    require(min <= max, "bound: min > max");
    uint256 size = max - min;
    if (size == type(uint256).max) return x;
    return min + x % (size + 1);
}
