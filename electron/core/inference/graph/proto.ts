/**
 * The ONNX protobuf schema (onnx-proto, on protobufjs). The package is CommonJS without named
 * exports Node can detect, so its namespace is taken from the default export.
 */
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
export type { onnx as OnnxTypes } from 'onnx-proto';
