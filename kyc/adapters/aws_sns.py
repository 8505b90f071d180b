"""Amazon SNS: one SMS to one phone number (Publish with PhoneNumber), sent as Transactional."""

from __future__ import annotations

from typing import Any

from kyc.adapters import aws
from kyc.adapters.base import SmsAdapter, SmsRequest, SmsResult


class SnsSmsAdapter(SmsAdapter):
    code = "aws_sns"
    required_settings = aws.AWS_REQUIRED_SETTINGS

    @classmethod
    def check_configuration(cls, settings: Any) -> None:
        super().check_configuration(settings)
        aws.check_aws_credentials(settings, cls.code)

    def send_sms(self, request: SmsRequest) -> SmsResult:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self.settings.AWS_SNS_SENDER_ID:
            attributes["AWS.SNS.SMS.SenderID"] = {
                "DataType": "String",
                "StringValue": self.settings.AWS_SNS_SENDER_ID,
            }
        client = aws.aws_client("sns", self.settings, endpoint_url=self.settings.AWS_SNS_ENDPOINT_URL)
        try:
            response = client.publish(
                PhoneNumber=request.phone_number, Message=request.message, MessageAttributes=attributes
            )
        except Exception as exc:
            raise aws.translate(exc) from None
        return SmsResult(message_id=str(response["MessageId"]))


ADAPTER = SnsSmsAdapter
