"""A bleak backend on the Bumble host stack: a virtual radio in tests, any Bumble HCI transport in use.

``BumbleRadio`` owns one central Bumble ``Device`` (one adapter, many connections, as a real one is).
It reaches its controller either through an in-process ``LocalLink`` that virtual peripherals share
(tests), or through a Bumble HCI transport such as ``tcp-client:127.0.0.1:9000``, ``usb:0`` or
``serial:/dev/ttyACM0`` (a USB dongle, or a virtual radio in another process).

``BleakScanner(backend=BumbleScanner, radio=radio)`` and ``BleakClient(device, backend=BumbleClient,
radio=radio)`` then run bleak's public API over real HCI/LL/L2CAP/ATT/GATT: connect, MTU exchange (done
here, as an OS stack does it), service discovery, CCCD writes, notifications and indications, and
unsolicited disconnects reported through ``disconnected_callback``. Bumble is imported lazily: it is
only needed when this backend is chosen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError
from bleak.uuids import normalize_uuid_str

if TYPE_CHECKING:
    from bumble.device import Advertisement, Connection, Device, Peer
    from bumble.link import LocalLink

log = logging.getLogger(__name__)

#: The ATT MTU this backend asks for, as BlueZ does.
DEFAULT_MTU = 517
CENTRAL_ADDRESS = "C0:FF:EE:00:00:01"
_PROPERTY_NAMES = {
    0x01: "broadcast",
    0x02: "read",
    0x04: "write-without-response",
    0x08: "write",
    0x10: "notify",
    0x20: "indicate",
    0x40: "authenticated-signed-writes",
    0x80: "extended-properties",
}


def _bleak_uuid(uuid: Any) -> str:
    return normalize_uuid_str(uuid.to_hex_str("-")) if hasattr(uuid, "to_hex_str") else normalize_uuid_str(str(uuid))


def _address_text(address: Any) -> str:
    return str(address.to_string(False)).upper()


def cancellable_controller_class() -> type:
    """Bumble's virtual controller with LE Create Connection Cancel working as the spec says.

    bumble 0.0.236's virtual controller acknowledges the cancel but keeps the connection pending, so a
    connect that timed out completes later behind the host's back and every new attempt is refused.
    Here the cancel ends the pending attempt with an LE Connection Complete (Unknown Connection Identifier).
    """
    from bumble import hci
    from bumble.controller import Controller

    class CancellableController(Controller):
        def on_hci_le_create_connection_cancel_command(self, command: Any) -> Any:
            pending, self.pending_le_connection = self.pending_le_connection, None
            if pending is None:
                return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
            failed = hci.HCI_LE_Connection_Complete_Event(
                status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR, connection_handle=0,
                role=hci.Role.CENTRAL, peer_address_type=pending.peer_address_type,
                peer_address=pending.peer_address, connection_interval=0, peripheral_latency=0,
                supervision_timeout=0, central_clock_accuracy=0,
            )
            asyncio.get_running_loop().call_soon(self.send_hci_packet, failed)  # after the command completes
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    return CancellableController


class BumbleRadio:
    """One central Bumble device, reached through a local link or an HCI transport (created on first use).

    Parameters
    ----------
    link
        An in-process ``bumble.link.LocalLink`` shared with virtual peripherals.
    transport
        A Bumble transport name (``tcp-client:HOST:PORT``, ``usb:0``, ...), used when ``link`` is None.
    mtu
        The ATT MTU to request after connecting; None skips the exchange (the link stays at 23).
    """

    def __init__(self, *, link: LocalLink | None = None, transport: str | None = None, mtu: int | None = DEFAULT_MTU) -> None:
        if (link is None) == (transport is None):
            raise ValueError("give exactly one of link= or transport=")
        self.link = link
        self.transport_name = transport
        self.mtu = mtu
        self._device: Device | None = None
        self._transport: Any = None
        self._ready = asyncio.Lock()
        self.connect_lock = asyncio.Lock()

    async def central(self) -> Device:
        """The powered-on central device, created on first use."""
        async with self._ready:
            if self._device is None:
                self._device = await self._open()
            return self._device

    async def _open(self) -> Device:
        from bumble.device import Device
        from bumble.hci import Address
        from bumble.host import Host
        from bumble.transport import open_transport
        from bumble.transport.common import AsyncPipeSink

        if self.link is not None:
            controller = cancellable_controller_class()("liftmind-central", link=self.link,
                                                        public_address=CENTRAL_ADDRESS)
            host = Host(controller, AsyncPipeSink(controller))
            device = Device(name="liftmind", address=Address(CENTRAL_ADDRESS), host=host)
        else:
            self._transport = await open_transport(str(self.transport_name))
            device = Device.with_hci("liftmind", Address(CENTRAL_ADDRESS), self._transport.source, self._transport.sink)
        await device.power_on()
        return device

    async def close(self) -> None:
        """Power the central off and close its transport."""
        if self._device is not None:
            await self._device.power_off()
            self._device = None
        if self._transport is not None:
            await self._transport.close()
            self._transport = None


class BumbleScanner(BaseBleakScanner):
    """Active scan on the radio's central; advertisements are delivered as they arrive (after ``start``)."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        radio: BumbleRadio,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = radio
        self._active = scanning_mode != "passive"
        self._device: Device | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._device = await self._radio.central()
        self._device.on("advertisement", self._on_advertisement)
        await self._device.start_scanning(active=self._active, filter_duplicates=False)

    async def stop(self) -> None:
        if self._device is None:
            return
        self._device.remove_listener("advertisement", self._on_advertisement)
        if self._device.is_scanning:
            await self._device.stop_scanning()
        self._device = None

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        from bumble.core import AdvertisingData

        data = advertisement.data
        uuids = [
            _bleak_uuid(u)
            for kind in (
                AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
            )
            for u in (data.get(kind) or [])
        ]
        if not self.is_allowed_uuid(uuids):
            return
        name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get(AdvertisingData.SHORTENED_LOCAL_NAME)
        adv = AdvertisementData(
            local_name=name,
            manufacturer_data={},
            service_data={},
            service_uuids=uuids,
            tx_power=None,
            rssi=advertisement.rssi,
            platform_data=(advertisement,),
        )
        address = _address_text(advertisement.address)
        device = self.create_or_update_device(address, address, name, advertisement.address, adv)
        self.call_detection_callbacks(device, adv)


class BumbleClient(BaseBleakClient):
    """A GATT client on one Bumble connection of the radio's central."""

    def __init__(self, address_or_ble_device: BLEDevice | str, *, radio: BumbleRadio, **kwargs: Any) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=kwargs.get("timeout", 10.0),
        )
        self._radio = radio
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._leaving = False
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    # -- connection
    @property
    def name(self) -> str:
        return self.address

    @property
    def mtu_size(self) -> int:
        return int(self._connection.att_mtu) if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool = False, **kwargs: Any) -> None:
        from bumble.core import BaseBumbleError
        from bumble.device import Peer
        from bumble.hci import Address

        device = await self._radio.central()
        try:
            async with self._radio.connect_lock:
                connection = await self._connect(device, Address(self.address))
        except (BaseBumbleError, TimeoutError) as exc:
            reason = "not seen" if isinstance(exc, TimeoutError) else repr(exc)
            raise BleakDeviceNotFoundError(
                self.address, f"could not connect to {self.address} within {self._timeout:g} s ({reason})"
            ) from exc
        self._leaving = False
        self._connection = connection
        connection.on("disconnection", self._on_disconnection)
        self._peer = Peer(connection)
        try:
            if self._radio.mtu is not None:
                await self._peer.request_mtu(self._radio.mtu)
            await self._peer.discover_all()  # type: ignore[no-untyped-call]  # unannotated in bumble 0.0.236
        except BaseBumbleError as exc:
            await self.disconnect()
            raise BleakError(f"service discovery on {self.address} failed: {exc!r}") from exc
        self.services = self._collection()

    async def _connect(self, device: Device, address: Any) -> Connection:
        """Connect within the client's timeout (Bumble cancels the attempt at the controller when it expires)."""
        return await asyncio.wait_for(device.connect(address, timeout=self._timeout), self._timeout + 5.0)

    async def disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        self._leaving = True
        try:
            await connection.disconnect()
        except Exception as exc:  # noqa: BLE001 - a link already gone is disconnected
            log.debug("%s: disconnect: %r", self.address, exc)

    def _on_disconnection(self, reason: int) -> None:
        was_connected = self._connection is not None
        self._connection = None
        self._peer = None
        if was_connected and not self._leaving and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("pairing is not supported by the Bumble backend")

    async def unpair(self) -> None:
        raise NotImplementedError("pairing is not supported by the Bumble backend")

    # -- GATT
    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError(f"not connected to {self.address}")
        return self._peer

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs: Any) -> bytearray:
        return bytearray(await self._gatt(self._require_peer().read_value(characteristic.obj)))

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, **kwargs: Any) -> bytearray:
        return bytearray(await self._gatt(self._require_peer().read_value(descriptor.obj)))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
        await self._gatt(self._require_peer().write_value(characteristic.obj, bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        await self._gatt(self._require_peer().write_value(descriptor.obj, bytes(data), with_response=True))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: Callable[[bytearray], None], **kwargs: Any
    ) -> None:
        def subscriber(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = subscriber
        await self._gatt(self._require_peer().subscribe(characteristic.obj, subscriber))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        subscriber = self._subscribers.pop(characteristic.handle, None)
        await self._gatt(self._require_peer().unsubscribe(characteristic.obj, subscriber))

    async def _gatt(self, operation: Any) -> Any:
        from bumble.core import BaseBumbleError

        try:
            return await operation
        except BaseBumbleError as exc:
            raise BleakError(f"GATT operation on {self.address} failed: {exc!r}") from exc

    def _collection(self) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        peer = self._require_peer()
        for service_proxy in peer.services:
            service = BleakGATTService(service_proxy, service_proxy.handle, _bleak_uuid(service_proxy.uuid))
            collection.add_service(service)
            for char_proxy in service_proxy.characteristics:
                props = [name for bit, name in _PROPERTY_NAMES.items() if int(char_proxy.properties) & bit]
                char = BleakGATTCharacteristic(
                    char_proxy, char_proxy.handle, _bleak_uuid(char_proxy.uuid), props,  # type: ignore[arg-type]
                    lambda: self.mtu_size - 3, service,
                )
                collection.add_characteristic(char)
                for desc_proxy in char_proxy.descriptors:
                    collection.add_descriptor(
                        BleakGATTDescriptor(desc_proxy, desc_proxy.handle, _bleak_uuid(desc_proxy.type), char)
                    )
        return collection
