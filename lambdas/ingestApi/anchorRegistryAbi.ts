/**
 * ABI of contracts/AnchorRegistry.sol, as a const so viem types the calls. A test compiles the
 * contract with solc-js and checks this matches, so the two cannot drift; the Lambda bundle carries
 * only this, never the compiler.
 */
export const anchorRegistryAbi = [
  { type: "constructor", inputs: [], stateMutability: "nonpayable" },
  {
    type: "function",
    name: "anchor",
    inputs: [
      { name: "stream", type: "string", internalType: "string" },
      { name: "fromSequence", type: "uint64", internalType: "uint64" },
      { name: "toSequence", type: "uint64", internalType: "uint64" },
      { name: "root", type: "bytes32", internalType: "bytes32" },
    ],
    outputs: [],
    stateMutability: "nonpayable",
  },
  {
    type: "function",
    name: "owner",
    inputs: [],
    outputs: [{ name: "", type: "address", internalType: "address" }],
    stateMutability: "view",
  },
  {
    type: "function",
    name: "rangeKey",
    inputs: [
      { name: "stream", type: "string", internalType: "string" },
      { name: "fromSequence", type: "uint64", internalType: "uint64" },
      { name: "toSequence", type: "uint64", internalType: "uint64" },
    ],
    outputs: [{ name: "", type: "bytes32", internalType: "bytes32" }],
    stateMutability: "pure",
  },
  {
    type: "function",
    name: "rootOf",
    inputs: [
      { name: "stream", type: "string", internalType: "string" },
      { name: "fromSequence", type: "uint64", internalType: "uint64" },
      { name: "toSequence", type: "uint64", internalType: "uint64" },
    ],
    outputs: [{ name: "", type: "bytes32", internalType: "bytes32" }],
    stateMutability: "view",
  },
  {
    type: "event",
    name: "Anchored",
    inputs: [
      { name: "rangeKey", type: "bytes32", indexed: true, internalType: "bytes32" },
      { name: "stream", type: "string", indexed: false, internalType: "string" },
      { name: "fromSequence", type: "uint64", indexed: false, internalType: "uint64" },
      { name: "toSequence", type: "uint64", indexed: false, internalType: "uint64" },
      { name: "root", type: "bytes32", indexed: false, internalType: "bytes32" },
    ],
    anonymous: false,
  },
  { type: "error", name: "BadRange", inputs: [] },
  { type: "error", name: "NotOwner", inputs: [] },
  {
    type: "error",
    name: "RootConflict",
    inputs: [{ name: "existing", type: "bytes32", internalType: "bytes32" }],
  },
] as const;
