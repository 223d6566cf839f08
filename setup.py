from setuptools import find_packages, setup

setup(
    name="dal_tf",
    version="0.1.0",
    description="Deep Association Learning for unsupervised video person re-id (TF2/Keras 3)",
    packages=find_packages(include=["dal_tf", "dal_tf.*", "data_prep", "experiments"]),
    python_requires=">=3.10",
    install_requires=[
        "tensorflow>=2.16",
        "absl-py>=2.0",
        "numpy>=1.26",
        "scipy>=1.11",
        "opencv-python-headless>=4.8",
        "matplotlib>=3.8",
        "h5py>=3.10",
        "tensorboard>=2.16",
    ],
    # data_prep.tracklets --ground_truth scores tracks with motmetrics (MOTA, IDF1).
    extras_require={"tracking": ["motmetrics>=1.4"]},
)
