from .onnx_export import main

main()
