// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

/**
 * @title P256
 * @notice ECDSA P-256 (secp256r1) signature checks through the EIP-7951 P256VERIFY precompile.
 * @dev On a chain without the precompile the call reaches an empty account, which succeeds with
 *      no return data; that reads as "invalid", so a missing precompile fails closed.
 */
library P256 {
    /// @dev EIP-7951 P256VERIFY.
    address internal constant VERIFIER = address(0x100);

    /// @dev Order n of the P-256 base point.
    uint256 internal constant N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551;

    /// @dev floor(n / 2): the largest s of a low-S signature (the other of each (s, n - s) pair is refused).
    uint256 internal constant HALF_N = N / 2;

    /// @dev r and s in [1, n - 1], as ECDSA requires (the precompile refuses others too; this names why).
    function inRange(bytes32 r, bytes32 s) internal pure returns (bool) {
        return uint256(r) != 0 && uint256(r) < N && uint256(s) != 0 && uint256(s) < N;
    }

    /// @dev s ≤ n/2: each signature has one accepted encoding, so a signature cannot be re-made from another.
    function isLowS(bytes32 s) internal pure returns (bool) {
        return uint256(s) <= HALF_N;
    }

    /**
     * @dev True when (r, s) signs `digest` (already hashed: SHA-256 of the message) under the public
     *      key (x, y). Input h ‖ r ‖ s ‖ x ‖ y, 160 bytes; the precompile answers a 32-byte 1 on
     *      success and nothing otherwise (bad signature, off-curve key, wrong input length).
     */
    function verify(bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y) internal view returns (bool) {
        (bool ok, bytes memory out) = VERIFIER.staticcall(abi.encode(digest, r, s, x, y));
        return ok && out.length == 32 && abi.decode(out, (uint256)) == 1;
    }
}
