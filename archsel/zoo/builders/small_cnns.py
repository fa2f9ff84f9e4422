"""Image classifiers outside tv.torchvision_model: the documents' own small CNN/RNN examples, and RegNet.

LeNet-5 (seed 002 section 二), the two-conv CIFAR CNN (seed 001) and the row-scanning LSTM (seed 002 section
三) are written exactly as the documents give them. RegNet gets a builder of its own because torchvision
computes its stage widths with tensors and `.tolist()`, which fails on the meta device.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SimpleCNN(nn.Module):
    """Seed 002's LeNet-5 style SimpleCNN: 1×28×28 → conv5(16) → pool → conv5(32) → pool → FC 120 → 84 → N."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, kernel_size=5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=5)
        self.fc1 = nn.Linear(32 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class CNNClassifier(nn.Module):
    """Seed 001's two-conv classifier for 3×32×32: conv3(16) → pool → conv3(32) → pool → FC 128 → classes."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(32 * 8 * 8, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        return self.fc2(x)


class RowLSTMClassifier(nn.Module):
    """Scan an image row by row: each row (C·W values) is one LSTM time step; classify the last state."""

    def __init__(self, in_channels: int = 1, width: int = 28, hidden: int = 128, layers: int = 1,
                 num_classes: int = 10) -> None:
        super().__init__()
        self.lstm = nn.LSTM(in_channels * width, hidden, num_layers=layers, batch_first=True)
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        rows = x.permute(0, 2, 1, 3).reshape(n, h, c * w)  # [N, T=H, F=C·W]
        _, (hidden, _) = self.lstm(rows)
        return self.fc(hidden[-1])


def lenet5(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    """Seed 002's SimpleCNN (LeNet-5 style) for 28×28 images."""
    return SimpleCNN(in_channels, num_classes)


def small_cnn_cifar(num_classes: int = 10) -> nn.Module:
    """Seed 001's CNNClassifier for 3×32×32 images."""
    return CNNClassifier(num_classes)


def row_lstm_classifier(in_channels: int = 1, width: int = 28, hidden: int = 128, layers: int = 1,
                        num_classes: int = 10) -> nn.Module:
    """An LSTM over image rows (seed 002 section 三)."""
    return RowLSTMClassifier(in_channels, width, hidden, layers, num_classes)
