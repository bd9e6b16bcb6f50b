print("evaldb")
